import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: names without their namespace prefix (SOAP answers use varying prefixes), attributes as
/// written, text of leaf elements. Small on purpose: the SOAP client only walks down by name.
final class XMLItem: @unchecked Sendable {
    let name: String
    let attributes: [String: String]
    var children: [XMLItem] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func child(_ name: String) -> XMLItem? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLItem] { children.filter { $0.name == name } }

    /// Follows a path of child names (`a.b.c`).
    func path(_ dotted: String) -> XMLItem? {
        var node: XMLItem? = self
        for part in dotted.split(separator: ".") { node = node?.child(String(part)) }
        return node
    }

    /// The `xsi:type` of the element, whatever prefix the writer bound the XML Schema instance namespace to.
    var xsiType: String? {
        attributes.first { $0.key.hasSuffix(":type") }.map { String($0.value.split(separator: ":").last ?? "") }
    }

    /// A generic JSON form for raw payloads: leaves as strings (numbers and booleans by their xsi:type), repeated
    /// children as arrays, a managed object reference as `{type, value}`.
    var json: JSONValue {
        if children.isEmpty {
            if let type = attributes["type"] { return ["type": .string(type), "value": .string(text)] }
            switch xsiType {
            case "int", "long", "short", "byte": return Int64(text).map(JSONValue.int) ?? .string(text)
            case "boolean": return .bool(text == "true")
            default: return .string(text)
            }
        }
        if xsiType?.hasPrefix("ArrayOf") == true { return .array(children.map(\.json)) }
        var groups: [String: [XMLItem]] = [:]
        for child in children { groups[child.name, default: []].append(child) }
        return .object(groups.mapValues { $0.count == 1 ? $0[0].json : .array($0.map(\.json)) })
    }

    static func parse(_ data: Data) throws -> XMLItem {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw CollectorFailure(.parseError, "the answer is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "empty")")
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLItem] = []
        var root: XMLItem?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let element = XMLItem(name: local, attributes: attributeDict)
            stack.last?.children.append(element)
            if root == nil { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = stack.popLast()
        }
    }
}
