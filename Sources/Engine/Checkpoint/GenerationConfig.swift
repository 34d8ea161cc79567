import ConfigDecoding

/// `generation_config.json`: the token ids that end generation. Absent fields fall back to config.json.
struct GenerationConfig: Decodable {
    var eosTokenIds: [Int] = []
    var bosTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case eosTokenId = "eos_token_id"
        case bosTokenId = "bos_token_id"
    }

    init() {}

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bosTokenId = try c.integerIfPresent(.bosTokenId)
        eosTokenIds = try c.integerListIfPresent(.eosTokenId) ?? []
    }
}
