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
