/// The paths of a JSON object worth reading: a path that ends keeps its whole value, everything off the paths is
/// skipped without building values. The asset export reads 18 leaves of each record; building every record's whole
/// tree of dictionaries was a sixth of its CPU.
struct JSONPaths: Sendable {
    var children: [String: JSONPaths] = [:]

    init(_ paths: [[String]]) {
        for path in paths where !path.isEmpty { add(path[...]) }
    }

    private init() {}

    private mutating func add(_ path: ArraySlice<String>) {
        guard let first = path.first else { return }
        var child = children[first] ?? JSONPaths()
        // A path that ends here keeps the whole value, even if a longer path passes through it.
        if path.count == 1 || (children[first] != nil && child.children.isEmpty) {
            child.children = [:]
        } else {
            child.add(path.dropFirst())
        }
        children[first] = child
    }
}

extension CollectorJSON {
    /// Reads only `paths` of the document (the rest is checked for balance and skipped); a document that is not an
    /// object is read whole.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, keeping paths: JSONPaths) throws -> JSONValue {
        var reader = CollectorJSON(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0, keeping: paths)
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw Invalid() }
        return value
    }

    private mutating func value(depth: Int, keeping paths: JSONPaths) throws -> JSONValue {
        guard !paths.children.isEmpty, try peek() == UInt8(ascii: "{") else { return try value(depth: depth) }
        index += 1
        var object: [String: JSONValue] = [:]
        skipSpace()
        if try peek() == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipSpace()
            guard try peek() == UInt8(ascii: "\"") else { throw Invalid() }
            let key = try string()
            skipSpace()
            guard try peek() == UInt8(ascii: ":") else { throw Invalid() }
            index += 1
            skipSpace()
            if let kept = paths.children[key] {
                object[key] = try value(depth: depth + 1, keeping: kept)
            } else {
                try skipValue(depth: depth + 1)
            }
            skipSpace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { return .object(object) }
            guard next == UInt8(ascii: ",") else { throw Invalid() }
        }
    }

    private mutating func skipValue(depth: Int) throws {
        guard depth < 512 else { throw Invalid() }
        switch try peek() {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = try peek() == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipSpace()
            if try peek() == close { index += 1; return }
            while true {
                skipSpace()
                if close == UInt8(ascii: "}") {
                    guard try peek() == UInt8(ascii: "\"") else { throw Invalid() }
                    try skipString()
                    skipSpace()
                    guard try peek() == UInt8(ascii: ":") else { throw Invalid() }
                    index += 1
                    skipSpace()
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                let next = try peek()
                index += 1
                if next == close { return }
                guard next == UInt8(ascii: ",") else { throw Invalid() }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): _ = try value(depth: depth)
        default:
            var digits = 0
            while index < bytes.count, Self.numberBytes.contains(bytes[index]) {
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { digits += 1 }
                index += 1
            }
            guard digits > 0 else { throw Invalid() }
        }
    }

    private mutating func skipString() throws {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index += 1; return
            case UInt8(ascii: "\\"): index += 2
            case ..<0x20: throw Invalid()
            default: index += 1
            }
        }
        throw Invalid()
    }
}
