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
