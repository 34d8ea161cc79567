// swift-tools-version: 6.0
// vlm: a CPU inference engine for LLaVA-style vision-language models.
//
// Dependency arrows point one way (see ../shared/DESIGN.md):
//   vlm → Engine → {ViT, Projector, LLM, Reduction, Tokenizer, ChatTemplate, ImageProcessing} → Tensor → OpenBLAS
// Tokenizer, ChatTemplate and ImageProcessing know nothing about numerics or models; they are
// their own targets so that each can be built and tested alone. ConfigDecoding, below them all,
// is how every HuggingFace JSON config is decoded and how its errors read.
import PackageDescription

let package = Package(
    name: "vlm",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vlm", targets: ["vlm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 of decoded pixels: the server's image cache key, which a client must not be able to collide.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // C libraries from Debian packages (libopenblas-dev, libpng-dev, libjpeg-dev).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),

        // Hand-written C kernels for BF16 weights (AVX-512 with a portable fallback).
        .target(name: "CKernels"),

        // Numeric core: storage, safetensors, BLAS-backed matmul, elementwise kernels.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CKernels"]),

        // HuggingFace JSON configs: errors that name the field and the expected type, integers
        // and chat_template fields as transformers writes them.
        .target(name: "ConfigDecoding"),

        // Text and images, independent of the models.
        .target(name: "Tokenizer", dependencies: ["ConfigDecoding"]),
        .target(name: "ChatTemplate"),
        .target(name: "ImageProcessing", dependencies: ["CPNG", "CJPEG", "ConfigDecoding"]),

        // Model parts.
        .target(name: "ViT", dependencies: ["Tensor", "Reduction", "ConfigDecoding"]),
        .target(name: "Projector", dependencies: ["Tensor"]),
        .target(name: "LLM", dependencies: ["Tensor", "Reduction", "ConfigDecoding"]),
        .target(name: "Reduction", dependencies: ["Tensor"]),

        // Checkpoint directory → model, generation loop, sampler, timings.
        .target(
            name: "Engine",
            dependencies: ["Tensor", "CKernels", "ViT", "Projector", "LLM", "Reduction", "Tokenizer", "ChatTemplate", "ImageProcessing", "ConfigDecoding", .product(name: "Crypto", package: "swift-crypto")]
        ),

        .executableTarget(
            name: "vlm",
            dependencies: ["Engine", "Tokenizer", "Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Shared by the test targets: reference-case reading, tolerances, a seeded random stream.
        .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),

        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "TestSupport"]),
        .testTarget(name: "ReductionTests", dependencies: ["Reduction", "Tensor", "TestSupport"]),
        // The model parts alone, against transformers on the tiny LLaVA fixtures (EngineTests' Fixtures,
        // shared by path) and, for the tower's embeddings, against ../shared/reference.
        .testTarget(name: "ViTTests", dependencies: ["ViT", "Tensor", "TestSupport"]),
        .testTarget(name: "ProjectorTests", dependencies: ["Projector", "Tensor", "TestSupport"]),
        // The methods inside the model parts, against the authors' code (../shared/reference).
        .testTarget(name: "MethodsTests", dependencies: ["Engine", "ViT", "LLM", "Reduction", "Tensor", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ConfigDecoding"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplate"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImageProcessingTests", dependencies: ["ImageProcessing", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "Tensor", "Engine", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "LLM", "ViT", "Tensor", "ChatTemplate", "ImageProcessing", "Tokenizer", "ConfigDecoding", "TestSupport"], resources: [.copy("Fixtures")]),
        // The `vlm` tool run as a user runs it (scripts/test.sh builds it next to the test binary);
        // it borrows EngineTests' tiny checkpoint and photos by path.
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    ]
)
