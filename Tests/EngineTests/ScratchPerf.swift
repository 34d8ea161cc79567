@testable import Engine
import Foundation
import Tensor
import LLM
import Testing

@Test func scratchTowerPerf() throws {
    guard let dir = ProcessInfo.processInfo.environment["SCRATCH_DEMO"] else { return }
    let checkpoint = try Checkpoint(directory: dir)
    let precision: WeightPrecision = ProcessInfo.processInfo.environment["SCRATCH_BF16"] != nil ? .bf16 : .asStored
    let llava = try JSONFile.decode(LlavaConfig.self, path: dir + "/config.json")
    let encoder = try ImageEncoder(config: llava, vision: checkpoint.layout.vision!.with(precision: precision), projector: checkpoint.layout.projector!, textWidth: 576)
    let pixels = [Float](repeating: 0.1, count: 3 * 336 * 336)
    for _ in 0..<3 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let f = pixels.withUnsafeBufferPointer { encoder.features(pixels: $0.baseAddress!) }
        let t1 = DispatchTime.now().uptimeNanoseconds
        print("tower \(Double(t1 - t0) / 1e6) ms rows \(f.rows) core \(BLAS.coreName) threads \(BLAS.threads)")
    }
    let model = try checkpoint.languageModel(precision: precision)
    let n = 620
    let x = Matrix(rows: n, cols: 576)
    for i in 0..<x.count { x.data[i] = Float(i % 13) * 0.01 }
    for _ in 0..<3 {
        let cache = KVCache(config: model.config, capacity: n + 40)
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try model.forward(embeddings: x.data, rows: n, positions: (0..<n).map(Int32.init), cache: cache)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let e = Matrix(rows: 1, cols: 576)
        for s in 0..<32 { _ = try model.forward(embeddings: e.data, rows: 1, positions: [Int32(n + s)], cache: cache) }
        let t2 = DispatchTime.now().uptimeNanoseconds
        print("prefill \(Double(t1 - t0) / 1e6) ms, decode \(32e9 / Double(t2 - t1)) tok/s")
    }
}
