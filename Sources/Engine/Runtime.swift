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
    /// falls back to its AVX2 kernels, at about half the GEMM throughput. It reads
    /// OPENBLAS_CORETYPE only when the library loads, before `main` runs, so the tool re-executes
    /// itself once with the variable set. A user's own OPENBLAS_CORETYPE is left alone, and
    /// VLM_NO_RELAUNCH=1 turns this off.
    public static func relaunchForAVX512KernelsIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["VLM_NO_RELAUNCH"] == nil,
              vlm_has_avx512() != 0, BLAS.coreName.lowercased().contains("haswell") || BLAS.coreName.lowercased().contains("zen")
        else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // execv returns only on failure: carry on with the kernels we have.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
