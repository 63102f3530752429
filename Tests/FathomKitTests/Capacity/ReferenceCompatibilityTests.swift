@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Clients of the reference implementation read these keys: every `/api/v1/capacity/*` and `/api/v1/databases/*`
/// body must carry them (with Fathom's additions beside), and answer bad input with the reference's statuses.
/// The key lists are written out here by hand, from the reference, not derived from Fathom's own declarations.
@Suite(.timeLimit(.minutes(5))) struct ReferenceCompatibilityTests {
    static let envelope = ["success", "message", "data", "meta"]
    static let paging = ["total", "page", "pages", "limit", "has_prev", "has_next"]
    static let instanceRef = ["id", "name", "db_type"]
    static let databaseRow = [
        "id", "instance_id", "database_name", "period_type", "period_start", "period_end", "avg_size_mb", "max_size_mb",
        "min_size_mb", "data_count", "avg_data_size_mb", "max_data_size_mb", "min_data_size_mb", "avg_log_size_mb",
        "max_log_size_mb", "min_log_size_mb", "size_change_mb", "size_change_percent", "data_size_change_mb",
        "data_size_change_percent", "log_size_change_mb", "log_size_change_percent", "growth_rate", "calculated_at",
        "created_at", "instance",
    ]
    static let instanceRow = [
        "id", "instance_id", "period_type", "period_start", "period_end", "total_size_mb", "avg_size_mb", "max_size_mb",
        "min_size_mb", "data_count", "database_count", "avg_database_count", "max_database_count", "min_database_count",
        "total_size_change_mb", "total_size_change_percent", "database_count_change", "database_count_change_percent",
        "growth_rate", "trend_direction", "calculated_at", "created_at", "instance",
    ]

    /// Asserts `value` is an object holding every key (null allowed), naming what is missing.
    static func expectKeys(_ value: JSONValue?, _ keys: [String], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .object(let object)? = value else {
            Issue.record("\(label): not an object: \(String(describing: value))", sourceLocation: sourceLocation)
            return
        }
        let missing = keys.filter { object[$0] == nil }
        #expect(missing.isEmpty, "\(label) lacks \(missing)", sourceLocation: sourceLocation)
    }

    @Test(arguments: Backends.all)
    func everySkeletonKeyByKey(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 5, days: 100)
            try await harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                func get(_ path: String) async throws -> JSONValue {
                    let response = try await client.send(.get, path, auth: auth)
                    #expect(response.status == .ok, "\(path): \(response.status) \(response.text)")
                    Self.expectKeys(response.json, Self.envelope, path)
                    #expect(response.json["success"] == true && response.json["message"]?.stringValue?.isEmpty == false)
                    return response.json["data"] ?? .null
                }

                // Capacity lists, daily and weekly.
                for period in ["daily", "weekly"] {
                    let databases = try await get("/api/v1/capacity/databases?period_type=\(period)&limit=5")
                    Self.expectKeys(databases, ["items"] + Self.paging, "capacity/databases \(period)")
                    let row = databases["items"]?.arrayFirst
                    Self.expectKeys(row, Self.databaseRow, "capacity/databases item \(period)")
                    Self.expectKeys(row?["instance"], Self.instanceRef, "capacity/databases item.instance")
                    #expect(row?["instance"]?["id"]?.intValue == row?["instance_id"]?.intValue, "instance.id is the integer id")
                    #expect(row?["instance"]?["uid"]?.stringValue?.hasPrefix("inst-") == true)
                    #expect(databases["has_prev"] == false && databases["has_next"] == true)

                    let instances = try await get("/api/v1/capacity/instances?period_type=\(period)&limit=5")
                    Self.expectKeys(instances, ["items"] + Self.paging, "capacity/instances \(period)")
                    Self.expectKeys(instances["items"]?.arrayFirst, Self.instanceRow, "capacity/instances item \(period)")
                    Self.expectKeys(instances["items"]?.arrayFirst?["instance"], Self.instanceRef, "capacity/instances item.instance")
                }
                // Ids are stable across reads.
                let first = try await get("/api/v1/capacity/databases?period_type=monthly&limit=3")["items"]?.arrayFirst?["id"]
                let again = try await get("/api/v1/capacity/databases?period_type=monthly&limit=3")["items"]?.arrayFirst?["id"]
                #expect(first != nil && first == again)

                let databaseSummary = try await get("/api/v1/capacity/databases/summary?period_type=monthly")
                Self.expectKeys(
                    databaseSummary["summary"],
                    ["total_databases", "total_instances", "total_size_mb", "avg_size_mb", "max_size_mb", "growth_rate"],
                    "capacity/databases/summary")
                #expect(databaseSummary["summary"]?["total_instances"] == 2)
                // The reference's growth_rate was always 0.0; demo databases grow.
                #expect((databaseSummary["summary"]?["growth_rate"]?.doubleValue ?? 0) != 0)
                let instanceSummary = try await get("/api/v1/capacity/instances/summary")
                Self.expectKeys(
                    instanceSummary["summary"],
                    ["total_instances", "total_size_mb", "avg_size_mb", "max_size_mb", "period_type", "source"],
                    "capacity/instances/summary")

                let current = try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: auth, json: #"{"period_type":"weekly"}"#)
                Self.expectKeys(
                    current.json["data"]?["result"],
                    ["status", "message", "period_type", "period_start", "period_end", "scope", "requested_period_type",
                     "effective_period_type", "database_summary", "instance_summary"],
                    "aggregations/current")
                #expect(current.json["data"]?["result"]?["status"] == "completed")
                #expect(current.json["data"]?["result"]?["database_summary"]?["processed"]?.intValue ?? 0 > 0)
                let daily = try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: auth, json: #"{"period_type":"daily"}"#)
                #expect(daily.json["data"]?["result"]?["status"] == "skipped")

                // Databases.
                let ledger = try await get("/api/v1/databases/ledgers?limit=3")
                Self.expectKeys(ledger, ["items", "total", "page", "limit"], "databases/ledgers")
                let item = ledger["items"]?.arrayFirst
                Self.expectKeys(item, ["id", "database_name", "db_type", "instance", "capacity", "sync_status", "tags"], "ledger item")
                Self.expectKeys(item?["instance"], ["id", "name", "host", "db_type"], "ledger item.instance")
                #expect(item?["instance"]?["id"]?.intValue != nil, "instance.id is an integer")
                Self.expectKeys(item?["capacity"], ["size_mb", "size_bytes", "label", "collected_at"], "ledger item.capacity")
                Self.expectKeys(item?["sync_status"], ["value", "label", "variant"], "ledger item.sync_status")
                #expect(item?["sync_status"]?["value"] == "completed")  // the demo was just seeded
                Self.expectKeys(item?["tags"]?.arrayFirst, ["name", "display_name", "color"], "ledger item.tags")

                let instanceId = try #require(item?["instance"]?["id"]?.intValue)
                let options = try await get("/api/v1/databases/options?instance_id=\(instanceId)")
                Self.expectKeys(options, ["databases", "total_count", "page", "pages", "limit"], "databases/options")
                Self.expectKeys(
                    options["databases"]?.arrayFirst,
                    ["id", "database_name", "is_active", "first_seen_date", "last_seen_date", "deleted_at"], "options item")
                #expect(options["limit"] == 100 && options["total_count"] == 5)  // inactive databases included

                let sizes = try await get("/api/v1/databases/sizes?instance_id=\(instanceId)&limit=3")
                Self.expectKeys(sizes, ["databases", "total", "page", "pages", "limit"], "databases/sizes")
                Self.expectKeys(
                    sizes["databases"]?.arrayFirst,
                    ["id", "database_name", "size_mb", "data_size_mb", "log_size_mb", "collected_date", "collected_at",
                     "is_active", "deleted_at", "last_seen_date"],
                    "sizes item")
                let latest = try await get("/api/v1/databases/sizes?instance_id=\(instanceId)&latest_only=true")
                Self.expectKeys(latest, ["databases", "total", "page", "pages", "limit", "active_count", "filtered_count", "total_size_mb"], "sizes latest")

                let databaseId = try #require(item?["id"]?.intValue)
                let tables = try await get("/api/v1/databases/\(databaseId)/tables/sizes")
                Self.expectKeys(tables, ["tables", "collected_at", "total", "page", "pages", "limit"], "tables/sizes")

                // The reference's error statuses.
                let statuses: [(String, HTTPResponse.Status)] = [
                    ("/api/v1/databases/options?instance_id=999999", .notFound),
                    ("/api/v1/databases/options?instance_id=abc", .badRequest),
                    ("/api/v1/databases/sizes?instance_id=999999", .notFound),
                    ("/api/v1/databases/sizes?instance_id=1.5", .badRequest),
                    ("/api/v1/databases/ledgers?offset=20", .badRequest),
                    ("/api/v1/databases/options?instance_id=\(instanceId)&offset=1", .badRequest),
                    ("/api/v1/databases/sizes?instance_id=\(instanceId)&offset=1", .badRequest),
                    ("/api/v1/capacity/databases?offset=10", .badRequest),
                    ("/api/v1/capacity/instances?offset=10", .badRequest),
                    ("/api/v1/databases/\(databaseId)/tables/sizes?offset=1", .badRequest),
                    ("/api/v1/capacity/instances?time_range=week", .badRequest),
                    ("/api/v1/capacity/databases?start_date=yesterday", .badRequest),
                    ("/api/v1/capacity/databases?end_date=2026-02-30", .badRequest),
                    ("/api/v1/databases/sizes?instance_id=\(instanceId)&start_date=2026/01/01", .badRequest),
                    ("/api/v1/databases/999999/tables/sizes", .notFound),
                ]
                for (path, status) in statuses {
                    let response = try await client.send(.get, path, auth: auth)
                    #expect(response.status == status, "\(path) → \(response.status)")
                    #expect(response.json["success"] == false && response.json["message"] == response.json["error"]?["message"], "\(path)")
                }
                let refresh = try await client.send(.post, "/api/v1/databases/999999/tables/sizes/actions/refresh", auth: auth)
                #expect(refresh.status == .notFound)
            }
        }
    }

    @Test(arguments: Backends.all)
    func csvHasTheReferenceColumnsInItsLanguage(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 1, databasesPerInstance: 3, days: 5)
            try await harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                let english = try await client.send(.get, "/api/v1/databases/ledgers/exports", auth: auth)
                #expect(english.text.hasPrefix("Database,Instance,Host,DB Type,Tags,Latest Size,Last Collected,Sync Status,"))
                let filename = english.headers[.contentDisposition] ?? ""
                #expect(filename.range(of: #"filename="database_ledger_\d{8}_\d{6}\.csv""#, options: .regularExpression) != nil, "\(filename)")
                let chinese = try await client.send(
                    .get, "/api/v1/databases/ledgers/exports", auth: auth, headers: [.acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8"])
                #expect(chinese.text.hasPrefix("数据库名称,实例名称,主机,数据库类型,标签,最新容量,最后采集时间,同步状态,"))
                let preferEnglish = try await client.send(
                    .get, "/api/v1/databases/ledgers/exports", auth: auth, headers: [.acceptLanguage: "en-US,zh;q=0.5"])
                #expect(preferEnglish.text.hasPrefix("Database,"))
                // Same rows whatever the language: the header and one line per active database.
                let active = try await client.send(.get, "/api/v1/databases/ledgers", auth: auth).json["data"]?["total"]?.intValue ?? 0
                #expect(active > 0)
                #expect(chinese.text.split(separator: "\r\n").count == 1 + Int(active))
                #expect(english.text.split(separator: "\r\n").count == 1 + Int(active))
            }
        }
    }

    @Test(arguments: Backends.all)
    func openAPIDocumentListsTheReferenceFields(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let document = try await client.send(.get, "/api/openapi.json").json
                let data = document["paths"]?["/api/v1/capacity/databases"]?["get"]?["responses"]?["200"]?["content"]?[
                    "application/json"]?["schema"]?["properties"]?["data"]
                Self.expectKeys(data?["properties"], ["items"] + Self.paging, "document: capacity/databases data")
                Self.expectKeys(data?["properties"]?["items"]?["items"]?["properties"], Self.databaseRow, "document: capacity row")
                let uid = data?["properties"]?["items"]?["items"]?["properties"]?["instance"]?["properties"]?["uid"]
                #expect(uid != nil, "the DBaaS id is documented as instance.uid")
            }
        }
    }
}
