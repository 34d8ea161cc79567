import LLM
import Tensor

/// The LLaVA splice: each image's rows put where its image token stands in the prompt.
extension VisionLanguageModel {
    /// The LLM input of a request and what the images contributed to it.
    struct PreparedRequest {
        let input: PreparedInput
        let visualTokens: Int
        let tokensPerLayer: [[Int]]
        /// What each row of `input` holds: a token, or a row of image i (crops and newlines).
        let rowSources: [RowSource]
    }

    enum RowSource: Equatable {
        case token(Int)
        case image(Int)
    }

    /// Embeds the prompt ids and splices each image's projected rows in place of its image
    /// token. With DyMU+VTU (`virtualUnmerging`) the sequence gets virtual rows (each image spans
    /// its unmerged positions); with ProxyV each image crop is followed by the checkpoint's newline
    /// embedding. An image is one crop, or with AnyRes (original-layout checkpoints) the base
    /// image and its crops.
    func prepareInput(ids: [Int], images: [[ProjectedCrop]], virtualUnmerging: Bool, proxyV useProxyV: Bool) throws -> PreparedRequest {
        let markers = imageTokenId.map { token in ids.indices.filter { ids[$0] == token } } ?? []
        guard markers.count == images.count else {
            throw EngineError.invalidArgument(
                "the prompt has \(markers.count) image token(s) but \(images.count) image(s) were given")
        }
        let proxyV = useProxyV ? languageModel.proxyV : nil
        let allCrops = images.flatMap { $0 }
        let visualTokens = allCrops.reduce(0) { $0 + $1.embeddings.rows }
        let newlines = proxyV == nil ? 0 : allCrops.count
        let rows = ids.count - markers.count + visualTokens + newlines
        let width = languageModel.hiddenSize
        let embeddings = Matrix(rows: rows, cols: width)
        var row = 0, image = 0
        var virtualRows: [Int32] = []
        var cropRows: [Int] = []
        var rowSources: [RowSource] = []
        rowSources.reserveCapacity(rows)
        for id in ids {
            guard id == imageTokenId, image < images.count else {
                rowSources.append(.token(id))
                try languageModel.embed([id], into: embeddings.row(row))
                virtualRows.append(Int32(row))
                row += 1
                continue
            }
            for crop in images[image] {
                embeddings.row(row).update(from: crop.embeddings.data, count: crop.embeddings.count)
                if virtualUnmerging, let cropVirtualRows = crop.virtualRows {
                    virtualRows += cropVirtualRows.map { Int32(row) + $0 }
                } else {
                    virtualRows += (row..<(row + crop.embeddings.rows)).map(Int32.init)
                }
                cropRows.append(row)
                row += crop.embeddings.rows
                rowSources += Array(repeating: .image(image), count: crop.embeddings.rows)
                if let proxyV {
                    embeddings.copyRow(row, from: proxyV.imageNewline)
                    virtualRows.append(Int32(row))
                    rowSources.append(.image(image))
                    row += 1
                }
            }
            image += 1
        }
        let positions = (0..<virtualRows.count).map(Int32.init)
        let isExpanded = virtualRows.count != rows
        let input = PreparedInput(embeddings: embeddings, positions: positions,
                                  virtualRows: isExpanded ? virtualRows : nil,
                                  imageCrops: proxyV != nil ? cropRows : [])
        return PreparedRequest(input: input, visualTokens: visualTokens,
                               tokensPerLayer: allCrops.map(\.tokensPerLayer), rowSources: rowSources)
    }
}
