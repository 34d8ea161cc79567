/// x += y over `count` values (residual connections, biases).
@inline(__always)
public func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] += y[i] }
}

/// x ⊙= y over `count` values (gated MLPs).
@inline(__always)
public func multiplyInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] *= y[i] }
}

/// x += y over `count` values, split over the threads when the arrays are large (residual
/// connections of whole prompts and towers: 577 × 1024 values per CLIP block).
public func addInPlaceParallel(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    let box = UnsafeSendable((x, y))
    Parallel.forRanges(count, minimumPerThread: 1 << 15) { range in
        let (x, y) = box.value
        addInPlace(x + range.lowerBound, y + range.lowerBound, count: range.count)
    }
}
