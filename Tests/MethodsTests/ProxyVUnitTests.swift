import Foundation
import Reduction
import Tensor
import Testing
import TestSupport

/// Families F1 and F2 of ../shared/reference: ProxyV's VisionMLP and proxy initialisation, every
/// batch row and crop; and both again on the intermediate tensors of family F3's tiny LLM.
struct ProxyVUnitTests {
    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("proxyv_vision_mlp").count >= 4 && ReferenceCase.caseNames("proxyv_get_image_proxy").count >= 4,
                "expected proxyv_vision_mlp and proxyv_get_image_proxy cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: ReferenceCase.cases("proxyv_vision_mlp"))
    func visionMLPMatchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let grid = try CropGrid(reference)
        let mlp = try VisionMLP(weights: WeightSource(store: try reference.weights()), hidden: grid.hidden,
                                intermediate: try reference.int("intermediate_size"), eps: try reference.float("rms_norm_eps"))
        try grid.expectShape(reference, "image_full", tokensPerCrop: grid.tokensPerCrop)
        try grid.expectShape(reference, "image_proxy", tokensPerCrop: grid.proxiesPerCrop)
        try grid.expectShape(reference, "image_full_out", tokensPerCrop: grid.tokensPerCrop)
        let full = try reference.matrix("image_full"), proxies = try reference.matrix("image_proxy")
        // Each batch row is its own crops × T full tokens and crops × T/f² proxies.
        let fullPerRow = grid.crops * grid.tokensPerCrop, proxiesPerRow = grid.crops * grid.proxiesPerCrop
        for row in 0..<grid.batch {
            mlp.update(full: full, fullRows: Array((row * fullPerRow)..<((row + 1) * fullPerRow)),
                       proxies: proxies, proxyRows: Array((row * proxiesPerRow)..<((row + 1) * proxiesPerRow)),
                       side: grid.side, factor: grid.factor)
        }
        expectClose(full.toArray(), try reference.floats("image_full_out"), "\(reference): image_full_out")
    }

    @Test(arguments: ReferenceCase.cases("proxyv_get_image_proxy"))
    func downsampleMatchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let grid = try CropGrid(reference)
        try grid.expectShape(reference, "hidden_image_full", tokensPerCrop: grid.tokensPerCrop)
        try grid.expectShape(reference, "image_proxy", tokensPerCrop: grid.proxiesPerCrop)
        let full = try reference.matrix("hidden_image_full")
        let fullPerRow = grid.crops * grid.tokensPerCrop * grid.hidden, proxiesPerRow = grid.crops * grid.proxiesPerCrop * grid.hidden
        var proxies = [Float](repeating: .nan, count: grid.batch * proxiesPerRow)
        proxies.withUnsafeMutableBufferPointer { output in
            for row in 0..<grid.batch {
                ProxyV.downsample(full.data + row * fullPerRow, cols: grid.hidden, crops: grid.crops, side: grid.side,
                                  factor: grid.factor, into: output.baseAddress! + row * proxiesPerRow)
            }
        }
        expectClose(proxies, try reference.floats("image_proxy"), "\(reference): image_proxy")
    }

    /// F3's proxies start as the F2 downsample of the full tokens entering layer S, which are
    /// VisionMLP 0's input (no layer ≥ S updates them before it); each VisionMLP i maps its
    /// recorded inputs to its recorded output.
    @Test(arguments: ReferenceCase.cases("proxyv_llm"))
    func llmProxyStepsMatchReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let side = try reference.int("grid_side", in: "config"), factor = try reference.int("proxyv_reduce_factor", in: "config")
        let hidden = try reference.int("hidden_size", in: "config")
        #expect(try reference.int("per_crop_token_len", in: "config") == side * side, "\(reference): per_crop_token_len")
        #expect(try reference.int("n_proxy", in: "config") == (side / factor) * (side / factor), "\(reference): n_proxy")

        let entering = try reference.matrix("debug.vision_mlp0.full_in")
        var proxies = [Float](repeating: .nan, count: (side / factor) * (side / factor) * hidden)
        proxies.withUnsafeMutableBufferPointer {
            ProxyV.downsample(entering.data, cols: hidden, crops: 1, side: side, factor: factor, into: $0.baseAddress!)
        }
        expectClose(proxies, try reference.floats("debug.proxy_init"), "\(reference): debug.proxy_init")

        let store = try reference.weights()
        for i in 0..<(try reference.int("num_vision_mlp_layers", in: "config")) {
            let mlp = try VisionMLP(weights: WeightSource(store: store, prefix: "vision_mlp_layers.\(i)."), hidden: hidden,
                                    intermediate: try reference.int("vision_mlp_intermediate_size", in: "config"),
                                    eps: try reference.float("rms_norm_eps", in: "config"))
            let full = try reference.matrix("debug.vision_mlp\(i).full_in"), proxyIn = try reference.matrix("debug.vision_mlp\(i).proxy_in")
            mlp.update(full: full, fullRows: Array(0..<full.rows), proxies: proxyIn, proxyRows: Array(0..<proxyIn.rows), side: side, factor: factor)
            expectClose(full.toArray(), try reference.floats("debug.vision_mlp\(i).full_out"), "\(reference): debug.vision_mlp\(i).full_out")
        }
    }
}

/// The crop layout F1 and F2 cases state: `batch` rows of `num_crops` crops, each a
/// grid_side × grid_side token grid reduced by reduce_factor to proxy_grid_side².
struct CropGrid {
    let batch: Int, crops: Int, side: Int, factor: Int, hidden: Int

    init(_ reference: ReferenceCase) throws {
        batch = try reference.int("batch")
        crops = try reference.int("num_crops")
        side = try reference.int("grid_side")
        factor = try reference.int("reduce_factor")
        hidden = try reference.int("hidden_size")
        #expect(try reference.int("per_crop_token_len") == tokensPerCrop, "\(reference): per_crop_token_len")
        #expect(try reference.int("proxy_grid_side") == side / factor, "\(reference): proxy_grid_side")
    }

    var tokensPerCrop: Int { side * side }
    var proxiesPerCrop: Int { (side / factor) * (side / factor) }

    /// Tensor `name` is [batch, crops · tokensPerCrop, hidden].
    func expectShape(_ reference: ReferenceCase, _ name: String, tokensPerCrop: Int) throws {
        #expect(try reference.shape(name) == [batch, crops * tokensPerCrop, hidden], "\(reference): \(name) shape")
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
