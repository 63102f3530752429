import SQLKit

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }
    // Optionals are checked for NULL first: decoding `T?` directly takes the drivers' slow generic path.
    func optionalString(_ column: String) throws -> String? { try decodeNil(column: column) ? nil : string(column) }
    func optionalInt64(_ column: String) throws -> Int64? { try decodeNil(column: column) ? nil : int64(column) }
}
