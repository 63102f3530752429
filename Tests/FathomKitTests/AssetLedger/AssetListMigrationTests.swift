@testable import FathomKit
import Foundation
import Logging
import SQLKit
import Testing

/// Migration 18 gives every existing link a search text from its latest record, so `q` finds what it found before.
@Suite(.timeLimit(.minutes(3))) struct AssetListMigrationTests {
    @Test(arguments: Backends.all)
    func existingLinksAreSearchableAfterTheMigration(_ backend: Store.Backend) async throws {
        try await UnmigratedStore.with(backend) { store in
            #expect(try await Migrations.run(on: store, through: 17).last == 17)
            try await store.write { db in
                try await db.raw(
                    """
                    INSERT INTO asset_sources (source_id, name, source_type, enabled, config, created_at, updated_at)
                    VALUES ('src_1', 'vc', 'vcenter', \(bind: true), '{}', 1, 1)
                    """
                ).run()
                try await db.raw(
                    """
                    INSERT INTO assets (asset_uuid, asset_type, display_name, status, created_at, updated_at)
                    VALUES ('a-1', 'vm', 'vm-one', 'in_service', 1, 1), ('a-2', 'vm', 'vm-two', 'in_service', 2, 2)
                    """
                ).run()
                try await db.raw(
                    """
                    INSERT INTO asset_source_links (link_id, asset_uuid, source_id, external_kind, external_id, presence_status,
                        first_seen_at, last_seen_at, last_seen_run_id)
                    VALUES ('l-1', 'a-1', 'src_1', 'vm', 'VM-101', 'present', 1, 2, 'run_2'),
                           ('l-2', 'a-2', 'src_1', 'vm', 'vm-102', 'present', 1, 2, 'run_2')
                    """
                ).run()
                // a-1's older record had another address: only the latest one is searchable.
                try await db.raw(
                    """
                    INSERT INTO asset_source_records (record_id, run_id, source_id, link_id, asset_uuid, external_kind, external_id,
                        collected_at, normalized, raw_hash)
                    VALUES ('r-1', 'run_1', 'src_1', 'l-1', 'a-1', 'vm', 'VM-101', 1, '{"network":{"ip_addresses":["10.9.9.1"]}}', 'h'),
                           ('r-2', 'run_2', 'src_1', 'l-1', 'a-1', 'vm', 'VM-101', 2, '{"network":{"ip_addresses":["10.9.9.2"]}}', 'h'),
                           ('r-3', 'run_2', 'src_1', 'l-2', 'a-2', 'vm', 'vm-102', 2, '{"network":{"ip_addresses":["10.9.8.7"]}}', 'h')
                    """
                ).run()
            }
            #expect(try await Migrations.run(on: store) == Array(18...Migrations.latestVersion))
            let assets = AssetStore(store: store)
            func found(_ q: String) async throws -> [String] {
                try await assets.list(AssetStore.Filter(q: q), offset: 0, limit: 10).items.map(\.assetUuid)
            }
            #expect(try await found("10.9.9.2") == ["a-1"])
            #expect(try await found("10.9.9.1") == [])
            #expect(try await found("vm-101") == ["a-1"])
            #expect(try await found("10.9.") == ["a-2", "a-1"])
            #expect(try await assets.list(AssetStore.Filter(q: "10.9."), offset: 0, limit: 1).total == 2)
        }
    }

    /// A total counted at one version of the list is served until the version moves; an older count never replaces a
    /// newer version's.
    @Test func totalsFollowTheListVersion() {
        let totals = AssetListTotals()
        totals.remember(5, version: 3, filter: "vm")
        #expect(totals.total(version: 3, filter: "vm") == 5)
        #expect(totals.total(version: 4, filter: "vm") == nil)
        totals.remember(6, version: 4, filter: "vm")
        totals.remember(5, version: 3, filter: "host")
        #expect(totals.total(version: 4, filter: "vm") == 6)
        #expect(totals.total(version: 3, filter: "host") == nil && totals.total(version: 4, filter: "host") == nil)
    }
}
