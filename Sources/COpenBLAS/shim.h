// Debian's libopenblas-dev installs cblas.h through update-alternatives.
#include <cblas.h>
// Not in every cblas.h: thread control of OpenBLAS itself.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
