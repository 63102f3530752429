import Foundation

/// Encodes response bodies straight into bytes, keys in declaration order, without the intermediate tree and
/// dictionaries Foundation's `JSONEncoder` builds: on list endpoints that tree was a fifth of the CPU per request.
/// Same output conventions as `JSONCoding.encoder()`: nil optionals omitted, slashes unescaped, integral doubles
/// without a fraction.
struct ResponseJSONEncoder {
    /// Whether values that write their own JSON (`DirectJSON`) do so; off, they go through `Encodable` (tests compare).
    var direct = true

    func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = JSONByteWriter()
        writer.direct = direct
        try writer.value(value, depth: 0)
        writer.close(downTo: 0)
        return writer.bytes
    }
}

/// The output and the stack of open objects/arrays. Encodable code never says when a container ends, so a
/// container is closed when something is next written at a shallower depth, or when its value's `encode(to:)`
/// has returned.
final class JSONByteWriter {
    enum Kind { case object, array }
    struct Frame {
        var kind: Kind
        var count = 0
    }

    // Only one encoding touches a writer, on one thread: the runtime's exclusivity checks on every append cost
    // more than the appends.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) var frames: [Frame] = []
    var direct = true

    init() { bytes.reserveCapacity(4096) }

    func close(downTo depth: Int) {
        while frames.count > depth {
            bytes.append(frames.removeLast().kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Opens an object or array for the value at `depth` (reusing it if that value asks again).
    func open(_ kind: Kind, depth: Int) {
        close(downTo: depth + 1)
        if frames.count == depth + 1 { return }
        frames.append(Frame(kind: kind))
        bytes.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
    }

    /// Starts the next member of the container at `depth`: closes anything deeper and writes the separator.
    func member(of depth: Int, key: String?) {
        close(downTo: depth + 1)
        if frames[depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[depth].count += 1
        if let key {
            string(key)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    func value<T: Encodable>(_ value: T, depth: Int) throws {
        // Metatype comparisons, not `as?` casts: this runs for every value of every response.
        if T.self == String.self {
            string(value as! String)
        } else if T.self == Int.self {
            raw(String(value as! Int))
        } else if T.self == Int64.self {
            raw(String(value as! Int64))
        } else if T.self == Int32.self {
            raw(String(value as! Int32))
        } else if T.self == UInt64.self {
            raw(String(value as! UInt64))
        } else if T.self == UInt.self {
            raw(String(value as! UInt))
        } else if T.self == Bool.self {
            raw(value as! Bool ? "true" : "false")
        } else if T.self == Double.self {
            try double(value as! Double)
        } else if T.self == Float.self {
            try double(Double(value as! Float))
        } else if T.self == URL.self {
            string((value as! URL).absoluteString)
        } else if direct, let own = value as? any DirectJSON {
            try own.writeJSON(to: self)
        } else {
            let start = bytes.count
            try value.encode(to: ByteEncoder(writer: self, depth: depth))
            close(downTo: depth)
            if bytes.count == start { raw("{}") }
        }
    }

    func double(_ number: Double) throws {
        guard number.isFinite else {
            throw EncodingError.invalidValue(number, .init(codingPath: [], debugDescription: "\(number) is not valid JSON"))
        }
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        raw(text)
    }

    func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    func null() { raw("null") }

    func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        let plain = text.withUTF8 { utf8 in
            guard utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if !plain { escaped(text) }
        bytes.append(UInt8(ascii: "\""))
    }

    private func escaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
    }
}

/// The `Encoder` handed to a value at `depth` of the output.
struct ByteEncoder: Encoder {
    let writer: JSONByteWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        writer.open(.object, depth: depth)
        return KeyedEncodingContainer(KeyedByteContainer<Key>(writer: writer, depth: depth))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.open(.array, depth: depth)
        return UnkeyedByteContainer(writer: writer, depth: depth)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleByteContainer(writer: writer, depth: depth) }
}

struct KeyedByteContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        writer.member(of: depth, key: key.stringValue)
        writer.null()
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        writer.member(of: depth, key: key.stringValue)
        try writer.value(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        writer.member(of: depth, key: key.stringValue)
        return ByteEncoder(writer: writer, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.member(of: depth, key: key.stringValue)
        return ByteEncoder(writer: writer, depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.member(of: depth, key: "super")
        return ByteEncoder(writer: writer, depth: depth + 1)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.member(of: depth, key: key.stringValue)
        return ByteEncoder(writer: writer, depth: depth + 1)
    }
}

struct UnkeyedByteContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int { writer.frames.count > depth ? writer.frames[depth].count : 0 }

    mutating func encodeNil() throws {
        writer.member(of: depth, key: nil)
        writer.null()
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        writer.member(of: depth, key: nil)
        try writer.value(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        writer.member(of: depth, key: nil)
        return ByteEncoder(writer: writer, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.member(of: depth, key: nil)
        return ByteEncoder(writer: writer, depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.member(of: depth, key: nil)
        return ByteEncoder(writer: writer, depth: depth + 1)
    }
}

struct SingleByteContainer: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.null() }

    mutating func encode<T: Encodable>(_ value: T) throws { try writer.value(value, depth: depth) }
}
