import Foundation
import Reduction
import Tensor
import Testing
import TestSupport

/// Families F1 and F2 of ../shared/reference: ProxyV's VisionMLP and proxy initialisation.
struct ProxyVUnitTests {
    static let visionMLPCases = ReferenceCase.cases("proxyv_vision_mlp")
    static let proxyCases = ReferenceCase.cases("proxyv_get_image_proxy")

    @Test func referenceCasesExist() {
        #expect(Self.visionMLPCases.count >= 4 && Self.proxyCases.count >= 4,
                "expected proxyv_vision_mlp and proxyv_get_image_proxy cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: visionMLPCases)
    func visionMLPMatchesReference(_ reference: ReferenceCase) throws {
        let d = reference.int("hidden_size"), di = reference.int("intermediate_size")
        let mlp = try VisionMLP(weights: WeightSource(store: try reference.weights()), hidden: d, intermediate: di,
                                eps: reference.float("rms_norm_eps"))
        let full = reference.matrix("image_full"), proxies = reference.matrix("image_proxy")
        mlp.update(full: full, fullRows: Array(0..<full.rows), proxies: proxies, proxyRows: Array(0..<proxies.rows),
                   side: reference.int("grid_side"), factor: reference.int("reduce_factor"))
        let (difference, bound) = maxAbsDifference(full.toArray(), reference.floats("image_full_out"))
        #expect(difference <= bound, "\(reference): image_full_out differs by \(difference)")
    }

    @Test(arguments: proxyCases)
    func downsampleMatchesReference(_ reference: ReferenceCase) {
        let full = reference.matrix("hidden_image_full")
        let expected = reference.floats("image_proxy")
        var proxies = [Float](repeating: 0, count: expected.count)
        proxies.withUnsafeMutableBufferPointer {
            ProxyV.downsample(full.data, cols: full.cols, crops: reference.int("num_crops"), side: reference.int("grid_side"),
                              factor: reference.int("reduce_factor"), into: $0.baseAddress!)
        }
        let (difference, bound) = maxAbsDifference(proxies, expected)
        #expect(difference <= bound, "\(reference): image_proxy differs by \(difference)")
    }
}

/// ProxyV's learned-query proxies (`learn_proxy`), for which the authors released no checkpoint and
/// the reference has no case: checked on inputs whose result follows from the definition by hand.
struct LearnedProxyTests {
    /// With all-zero queries every logit is 0: each proxy is its crop's mean token, and every token
    /// splats its context equally over its crop's proxies.
    @Test func zeroQueriesGiveCropMeansAndUniformSplat() throws {
        let d = 8, n = 4, t = 16, crops = 2
        let store = try TensorStore(files: [try writeWeights(d: d, n: n)], label: "learned-proxy test")
        let initializer = try LearnedProxyInitializer(weights: WeightSource(store: store), hidden: d, proxies: n)
        let full = Matrix(rows: crops * t, cols: d, values: (0..<(crops * t * d)).map { Float(($0 * 37) % 23) - 11 })
        var proxies = [Float](repeating: 0, count: crops * n * d)
        let splat = proxies.withUnsafeMutableBufferPointer {
            initializer.initialise(full: full, crops: crops, tokensPerCrop: t, into: $0.baseAddress!)
        }
        for crop in 0..<crops {
            for k in 0..<d {
                let mean = (0..<t).reduce(Float(0)) { $0 + full[crop * t + $1, k] } / Float(t)
                for j in 0..<n { #expect(abs(proxies[(crop * n + j) * d + k] - mean) < 1e-5) }
            }
        }
        #expect(splat.toArray().allSatisfy { abs($0 - 1 / Float(n)) < 1e-6 })
    }

    /// Wk random, queries zero (d_h = D/2 for D < 1024), as a safetensors file.
    func writeWeights(d: Int, n: Int) throws -> String {
        let dh = d / 2
        func bytes(_ values: [Float]) -> Data { values.withUnsafeBufferPointer { Data(buffer: $0) } }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("learned-proxy-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write([
            ("Wk.weight", .init(dtype: "F32", shape: [dh, d], bytes: bytes((0..<(dh * d)).map { Float($0 % 5) - 2 }))),
            ("proxyv_tokens", .init(dtype: "F32", shape: [n, dh], bytes: bytes([Float](repeating: 0, count: n * dh)))),
        ], to: url)
        return url.path
    }
}
