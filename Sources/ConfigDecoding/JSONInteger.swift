/// An integer field of a config. JSONDecoder rejects a fraction such as 1.5 read as `Int` with
/// "not valid JSON" for the whole file, naming no field; reading the number first lets the error
/// name the field and say an integer was expected. Whole numbers written as 4096.0 or 4.096e3 are
/// integers, as JSONDecoder has them.
public struct JSONInteger: Decodable, Sendable {
    public let value: Int

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let number: Double
        do {
            number = try container.decode(Double.self)
        } catch DecodingError.typeMismatch(_, let context) {
            throw DecodingError.typeMismatch(Int.self, context)
        }
        guard let value = Int(exactly: number) else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "\(number) is not an integer"))
        }
        self.value = value
    }
}

extension KeyedDecodingContainer {
    /// An integer field; nil when it is absent or null.
    public func integerIfPresent(_ key: Key) throws -> Int? {
        try decodeIfPresent(JSONInteger.self, forKey: key)?.value
    }

    /// A field that is an integer or a list of integers (`eos_token_id`, `vision_feature_layer`);
    /// nil when it is absent or null.
    public func integerListIfPresent(_ key: Key) throws -> [Int]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if (try? nestedUnkeyedContainer(forKey: key)) != nil {
            return try decode([JSONInteger].self, forKey: key).map(\.value)
        }
        return [try decode(JSONInteger.self, forKey: key).value]
    }
}
