/// The element types a safetensors checkpoint may hold, as spelled in its header.
public enum DType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f64 = "F64", i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 || self == .f64 }
}

/// Widening conversions to Float32. BF16 is the top half of an IEEE float, so widening is a shift.
public enum Widen {
    public static func bf16(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        destination.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            for i in 0..<count { bits[i] = UInt32(source[i]) << 16 }
        }
    }

    public static func f16(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = Float(Float16(bitPattern: source[i])) }
    }

    public static func f64(_ source: UnsafePointer<Double>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = Float(source[i]) }
    }
}
