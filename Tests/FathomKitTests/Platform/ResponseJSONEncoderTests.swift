@testable import FathomKit
import Foundation
import Testing

/// The response encoder writes what Foundation's encoder writes (compared as parsed JSON), in declaration order.
@Suite(.timeLimit(.minutes(5))) struct ResponseJSONEncoderTests {
    enum Color: String, Codable { case red, blue }

    struct Inner: Codable, Equatable {
        var name: String
        var note: String?
        var values: [Double]
    }

    struct Outer: Codable, Equatable {
        var id: Int64
        var flag: Bool
        var text: String
        var color: Color
        var inner: Inner
        var list: [Inner]
        var empty: [Int]
        var map: [String: Int]
        var optionals: [String?]
        var missing: Int?
        var nested: [[Int]]
        var json: JSONValue
    }

    static let sample = Outer(
        id: -9_007_199_254_740_993, flag: true, text: "quote \" backslash \\ slash / tab \t newline \n bell \u{07} é 🙂",
        color: .blue, inner: Inner(name: "a", note: nil, values: [0, 1.5, -2, 4158.88, 1e21, 123_456_789.125]),
        list: [Inner(name: "b", note: "n", values: []), Inner(name: "c", note: nil, values: [3])], empty: [],
        map: ["x": 1, "y": 2], optionals: ["p", nil], missing: nil, nested: [[1, 2], [], [3]],
        json: .object(["k": .array([.int(1), .string("v"), .null, .bool(false)])]))

    @Test func matchesFoundation() throws {
        let ours = try ResponseJSONEncoder().encode(Self.sample)
        let theirs = try JSONCoding.encoder().encode(Self.sample)
        let parsedOurs = try JSONSerialization.jsonObject(with: Data(ours)) as! NSDictionary
        let parsedTheirs = try JSONSerialization.jsonObject(with: theirs) as! NSDictionary
        #expect(parsedOurs == parsedTheirs, "\(String(decoding: ours, as: UTF8.self))")
        #expect(try JSONDecoder().decode(Outer.self, from: Data(ours)) == Self.sample)
        let text = String(decoding: ours, as: UTF8.self)
        #expect(text.hasPrefix("{\"id\":-9007199254740993,\"flag\":true,"))
        #expect(!text.contains("missing") && !text.contains("note\":null"))
        #expect(text.contains("\"values\":[0,1.5,-2,4158.88,1e+21,123456789.125]"))
        #expect(text.contains("\\u0007") && text.contains("slash /"))
    }

    @Test func topLevelValuesAndErrors() throws {
        #expect(String(decoding: try ResponseJSONEncoder().encode(["a", "b"]), as: UTF8.self) == "[\"a\",\"b\"]")
        #expect(String(decoding: try ResponseJSONEncoder().encode(7), as: UTF8.self) == "7")
        #expect(throws: EncodingError.self) { try ResponseJSONEncoder().encode([Double.nan]) }
    }
}
