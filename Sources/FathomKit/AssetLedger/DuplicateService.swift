/// Duplicate candidates: detection over the whole ledger (a job after every successful collect), the list, ignore.
struct DuplicateService: Sendable {
    let duplicates: DuplicateStore
    let clock: WallClock

    /// Scores every pair of non-merged assets sharing an identifying value; returns how many pairs were kept.
    func detect() async throws -> Int {
        let assets = try await duplicates.identities().map { asset in
            (uuid: asset.uuid, kind: asset.kind, keys: DuplicateScoring.keys(kind: asset.kind, records: asset.records))
        }
        return try await duplicates.save(DuplicateScoring.pairs(assets), now: clock.millis())
    }

    func list(_ filter: DuplicateStore.Filter, page: PageRequest) async throws -> (items: [DuplicateCandidateView], total: Int) {
        let result = try await duplicates.list(filter, offset: page.offset, limit: page.size)
        return (result.items.map(DuplicateCandidateView.init), result.total)
    }

    func ignore(_ id: String) async throws -> DuplicateCandidateView {
        guard let candidate = try await duplicates.ignore(id, now: clock.millis()) else {
            throw AppError(.configDuplicateCandidateNotFound, redactedContext: ["candidateId": .string(id)])
        }
        guard candidate.status == "ignored" else {
            throw AppError(.configResourceConflict, "Only open candidates can be ignored (this one is \(candidate.status))")
        }
        return DuplicateCandidateView(candidate)
    }
}

/// A candidate as the API shows it: the pair, its score, `high` (≥ 90) or `medium`, and the shared values.
struct DuplicateCandidateView: Encodable, Sendable {
    var candidateId: String
    var assetType: String
    var score: Int
    var level: String
    var status: String
    var reasons: JSONValue
    var assets: [AssetRefView]
    var createdAt: String
    var updatedAt: String

    init(_ candidate: DuplicateStore.Candidate) {
        candidateId = candidate.candidateId
        assetType = candidate.assetType
        score = candidate.score
        level = candidate.score >= DuplicateScoring.high ? "high" : "medium"
        status = candidate.status
        reasons = candidate.reasons
        assets = [AssetRefView(candidate.first), AssetRefView(candidate.second)]
        createdAt = Timestamp.iso8601(millis: candidate.createdAt)
        updatedAt = Timestamp.iso8601(millis: candidate.updatedAt)
    }
}
