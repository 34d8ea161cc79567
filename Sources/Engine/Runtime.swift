import CKernels
import Foundation
import Tensor

/// Process-wide compute settings.
public enum Runtime {
    /// Threads for OpenBLAS products and the engine's own kernels.
    public static func configure(threads: Int) {
        BLAS.threads = threads
        Parallel.threads = threads
    }

    /// Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs (Zen 4/5 among them) and
    /// falls back to its AVX2 kernels at about half the GEMM throughput; some environments also
    /// pin OPENBLAS_CORETYPE to an AVX2 core. OpenBLAS reads the variable only when the library
    /// loads, before `main` runs, so on an AVX-512 CPU whose selected kernels are AVX2 or older the
    /// tool re-executes itself once with OPENBLAS_CORETYPE=SkylakeX. VLM_NO_RELAUNCH=1 keeps the
    /// environment's choice.
    public static func relaunchForAVX512KernelsIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        let older = ["haswell", "zen", "sandybridge", "nehalem", "core2", "prescott", "bulldozer", "piledriver", "steamroller", "excavator"]
        let core = BLAS.coreName.lowercased()
        guard environment["VLM_NO_RELAUNCH"] == nil, environment["VLM_RELAUNCHED"] == nil,
              vlm_has_avx512() != 0, older.contains(where: { core.contains($0) })
        else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        setenv("VLM_RELAUNCHED", "1", 1)  // never loop, whatever OpenBLAS makes of the variable
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // execv returns only on failure: carry on with the kernels we have.
    }
}
