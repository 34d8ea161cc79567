import Tensor

// VisionZip (arXiv 2412.04467; github.com/dvlab-research/VisionZip; METHODS.md §2), training-free:
// keep the most attended tokens of the feature layer and merge the rest into a few contextual
// ones; the LLM is untouched. Where it touches the engine:
//   Reduction/VisionZip/VisionZip.swift      the selection and merge (their visionzip/clip_encoder forward)
//   Reduction/MatchingMetric.swift           keys averaged over heads (shared with DToMe)
//   ViT/VisionZip/VisionZipObserver.swift    the VisionBlockHooks reading the feature layer's attention and keys
//   Engine/Methods/VisualTokenReduction.swift (.visionZip)         choosing it and its budget for a request

/// VisionZip (arXiv 2412.04467; github.com/dvlab-research/VisionZip, METHODS.md §2): keep the
/// tokens the class token attends to most ("dominant"), and merge the rest into a few
/// "contextual" tokens by key similarity.
public enum VisionZip {
    public struct Selection: Sendable {
        /// [dominant + contextual, C]: dominant tokens in ascending index order, then contextual ones.
        public let tokens: Matrix
        /// Class token first, then the top patches in descending score order (token indices).
        public let rankedIndices: [Int]
        /// The dominant token indices, ascending.
        public let dominant: [Int]
        /// Contextual targets, as positions in the list of remaining tokens.
        public let targets: [Int]
        /// For each remaining non-target token (in order), the target it joins (index into `targets`).
        public let assignment: [Int]
    }

    /// The token budget splits the papers use for LLaVA-1.5 (dominant + contextual).
    public static func split(tokens: Int) -> (dominant: Int, contextual: Int)? {
        switch tokens {
        case 64: (54, 10)
        case 128: (108, 20)
        case 192: (162, 30)
        default: nil
        }
    }

    /// Selects from the feature layer's `hidden` [n, C] given each token's importance `scores`
    /// [n] (the class token's attention summed over heads; the class token itself is always
    /// kept) and the layer's `metric` [n, d] (keys averaged over heads).
    /// `keepFirst`: token 0 is a class token kept unconditionally (CLIP); otherwise (SigLIP) the
    /// dominant tokens are simply the top-scoring ones.
    public static func select(hidden: Matrix, rows n: Int, scores: [Float], metric: Matrix,
                              dominant: Int, contextual: Int, keepFirst: Bool) -> Selection {
        precondition(dominant >= (keepFirst ? 1 : 0) && dominant + contextual <= n, "budget exceeds the tokens")
        let c = hidden.cols, d = metric.cols
        // Dominant: top (dominant − 1) patches by score, plus the class token.
        let candidates = keepFirst ? Array(1..<n) : Array(0..<n)
        let topCount = keepFirst ? dominant - 1 : dominant
        let ranked = candidates.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(topCount)
        let rankedIndices = (keepFirst ? [0] : []) + ranked
        let kept = rankedIndices.sorted()
        var isKept = [Bool](repeating: false, count: n)
        for i in kept { isKept[i] = true }

        // Contextual: uniform targets among the remaining tokens, each other remaining token joins
        // the target whose normalised key it is most similar to.
        let remaining = (0..<n).filter { !isKept[$0] }
        let r = remaining.count
        let tokens = Matrix(rows: dominant + contextual, cols: c)
        for (row, i) in kept.enumerated() { tokens.copyRow(row, from: hidden.row(i)) }
        guard contextual > 0, r > 0 else {
            return Selection(tokens: tokens, rankedIndices: rankedIndices, dominant: kept, targets: [], assignment: [])
        }
        let step = max(1, r / contextual)
        let targets = Array(stride(from: 0, to: r, by: step).prefix(contextual))
        var isTarget = [Bool](repeating: false, count: r)
        for t in targets { isTarget[t] = true }
        let members = (0..<r).filter { !isTarget[$0] }

        func normalised(_ i: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: d) { buffer, count in
                MatchingMetric.normalise(metric.row(remaining[i]), into: buffer.baseAddress!, count: d)
                count = d
            }
        }
        let targetKeys = targets.map(normalised)
        var assignment: [Int] = []
        var sums = [[Float]](repeating: [Float](repeating: 0, count: c), count: targets.count)
        var counts = [Float](repeating: 0, count: targets.count)
        for m in members {
            let key = normalised(m)
            var best = 0, bestScore = -Float.infinity
            for (j, target) in targetKeys.enumerated() {
                let score = key.withUnsafeBufferPointer { a in target.withUnsafeBufferPointer { b in dot(a.baseAddress!, b.baseAddress!, count: d) } }
                if score > bestScore { best = j; bestScore = score }
            }
            assignment.append(best)
            let source = hidden.row(remaining[m])
            for k in 0..<c { sums[best][k] += source[k] }
            counts[best] += 1
        }
        // contextual_j = hidden(target_j) + mean(members of j) (the target's own state is not averaged in).
        for (j, t) in targets.enumerated() {
            let row = tokens.row(dominant + j), target = hidden.row(remaining[t])
            let count = max(counts[j], 1)
            for k in 0..<c { row[k] = target[k] + sums[j][k] / count }
        }
        return Selection(tokens: tokens, rankedIndices: rankedIndices, dominant: kept, targets: targets, assignment: assignment)
    }
}
