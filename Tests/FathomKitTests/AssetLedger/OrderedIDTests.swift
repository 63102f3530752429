@testable import FathomKit
import Foundation
import Testing

/// Ids the ingest makes for new rows: unique, in creation order, in the shapes the ledger promises.
@Suite(.timeLimit(.minutes(1))) struct OrderedIDTests {
    @Test func idsAreUniqueAndInCreationOrder() {
        let ids = (0..<20_000).map { _ in OrderedID.make("rec") }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(ids.allSatisfy { $0.count == 24 && $0.hasPrefix("rec_") && $0.dropFirst(4).allSatisfy(\.isHexDigit) })
    }

    @Test func assetIdsAreVersion7UUIDsInCreationOrder() {
        let uuids = (0..<20_000).map { _ in OrderedID.uuid() }
        #expect(Set(uuids).count == uuids.count)
        #expect(uuids == uuids.sorted())
        for text in uuids.prefix(100) {
            let parsed = UUID(uuidString: text)
            #expect(parsed != nil && parsed?.uuidString.lowercased() == text)
            #expect(Array(text)[14] == "7")
            #expect("89ab".contains(Array(text)[19]))
        }
    }
}
