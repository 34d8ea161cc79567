import Tensor

/// Process-wide compute settings.
public enum Runtime {
    /// Threads for OpenBLAS products (and, later, the engine's own kernels).
    public static func configure(threads: Int) {
        BLAS.threads = threads
    }
}
