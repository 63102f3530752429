/// A response value that writes its own JSON. Through `Encodable` every field costs a container, a key and a type
/// check; for the database ledger's items (some 35 fields each) that was a sixth of a page's CPU. A conforming type
/// keeps its `Encodable` conformance (Foundation's encoder, OpenAPI examples) and writes exactly the same bytes,
/// which `DirectJSONTests` checks.
protocol DirectJSON: Encodable {
    func writeJSON(to writer: JSONByteWriter) throws
}

/// Writes one JSON object's members in order: `{`, then each `"key":value`, then `}` from `end()`.
struct JSONObjectWriter {
    let writer: JSONByteWriter
    private var members = 0

    init(_ writer: JSONByteWriter) {
        self.writer = writer
        writer.bytes.append(UInt8(ascii: "{"))
    }

    /// Starts a member; its value is written next.
    mutating func key(_ key: String) {
        if members > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        members += 1
        writer.string(key)
        writer.bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ key: String, _ value: String) {
        self.key(key)
        writer.string(value)
    }

    mutating func int(_ key: String, _ value: Int64) {
        self.key(key)
        writer.raw(String(value))
    }

    mutating func bool(_ key: String, _ value: Bool) {
        self.key(key)
        writer.raw(value ? "true" : "false")
    }

    /// Written as `null` when absent (what `ExplicitNull` encodes).
    mutating func string(_ key: String, orNull value: String?) {
        self.key(key)
        if let value { writer.string(value) } else { writer.null() }
    }

    mutating func int(_ key: String, orNull value: Int64?) {
        self.key(key)
        if let value { writer.raw(String(value)) } else { writer.null() }
    }

    mutating func double(_ key: String, orNull value: Double?) throws {
        self.key(key)
        if let value { try writer.double(value) } else { writer.null() }
    }

    /// Any other value, through the writer's general path; left out when absent (what synthesized `Encodable` does).
    mutating func value<T: Encodable>(_ key: String, ifPresent value: T?) throws {
        guard let value else { return }
        self.key(key)
        try writer.value(value, depth: writer.frames.count)
    }

    /// An array of values that write themselves.
    mutating func array<T: DirectJSON>(_ key: String, _ values: [T]) throws {
        self.key(key)
        writer.bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            try value.writeJSON(to: writer)
        }
        writer.bytes.append(UInt8(ascii: "]"))
    }

    mutating func object(_ key: String, _ value: some DirectJSON) throws {
        self.key(key)
        try value.writeJSON(to: writer)
    }

    func end() { writer.bytes.append(UInt8(ascii: "}")) }

    /// A whole object of text members, in order.
    static func strings(_ members: KeyValuePairs<String, String>, to writer: JSONByteWriter) {
        var object = JSONObjectWriter(writer)
        for (key, value) in members { object.string(key, value) }
        object.end()
    }
}

// Open-shaped values (an asset's canonical fields, records, error details) write themselves: a detail page's canonical
// view is hundreds of them. Members in the dictionary's own order, as its `Encodable` conformance writes them.
extension JSONValue: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.raw(value ? "true" : "false")
        case .int(let value): writer.raw(String(value))
        case .double(let value): try writer.double(value)
        case .string(let value): writer.string(value)
        case .array(let values):
            writer.bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                try value.writeJSON(to: writer)
            }
            writer.bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            var object = JSONObjectWriter(writer)
            for (key, value) in members {
                object.key(key)
                try value.writeJSON(to: writer)
            }
            object.end()
        }
    }
}
