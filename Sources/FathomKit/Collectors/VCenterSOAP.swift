import Foundation
import NIOHTTP1

/// The vSphere SOAP API (vim25) as far as an inventory needs it: service content, login, container views and the
/// property collector's paged retrieval. Speaks the 6.5 API version, which every vCenter from 6.5 to 8.x serves.
struct VCenterSOAP: Sendable {
    struct ObjectContent: Sendable {
        var type: String
        var id: String
        var properties: [String: XMLItem]
        /// Properties the server would not return (`missingSet`), by path, with the fault's type.
        var missing: [String: String]
    }

    let transport: HTTPTransport
    let url: URL
    private let cookie = CookieBox()

    init(transport: HTTPTransport, endpoint: URL) {
        self.transport = transport
        // The SOAP endpoint is /sdk whatever path the source's endpoint names.
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        components?.path = "/sdk"
        components?.query = nil
        components?.user = nil
        components?.password = nil
        url = components?.url ?? endpoint
    }

    func serviceContent() async throws -> XMLItem {
        let answer = try await call("RetrieveServiceContent", #"<_this type="ServiceInstance">ServiceInstance</_this>"#)
        guard let content = answer.child("returnval") else { throw CollectorFailure(.parseError, "RetrieveServiceContent returned nothing") }
        return content
    }

    func login(sessionManager: String, username: String, password: String) async throws {
        _ = try await call("Login", """
            <_this type="SessionManager">\(Self.escape(sessionManager))</_this>\
            <userName>\(Self.escape(username))</userName><password>\(Self.escape(password))</password>
            """)
    }

    func logout(sessionManager: String) async {
        _ = try? await call("Logout", #"<_this type="SessionManager">\#(Self.escape(sessionManager))</_this>"#)
    }

    func createContainerView(viewManager: String, root: String, type: String) async throws -> String {
        let answer = try await call("CreateContainerView", """
            <_this type="ViewManager">\(Self.escape(viewManager))</_this><container type="Folder">\(Self.escape(root))</container>\
            <type>\(type)</type><recursive>true</recursive>
            """)
        guard let view = answer.child("returnval")?.text, !view.isEmpty else {
            throw CollectorFailure(.parseError, "CreateContainerView returned no view")
        }
        return view
    }

    func destroyView(_ view: String) async {
        _ = try? await call("DestroyView", #"<_this type="ContainerView">\#(Self.escape(view))</_this>"#)
    }

    /// Every object of `type` in the container view with the given properties: RetrievePropertiesEx, then
    /// ContinueRetrievePropertiesEx while the server hands back a token — `pageSize` objects per round trip.
    func retrieve(collector: String, view: String, type: String, paths: [String], pageSize: Int) async throws -> (objects: [ObjectContent], pages: Int) {
        let spec = """
            <_this type="PropertyCollector">\(Self.escape(collector))</_this><specSet>\
            <propSet><type>\(type)</type>\(paths.map { "<pathSet>\($0)</pathSet>" }.joined())</propSet>\
            <objectSet><obj type="ContainerView">\(Self.escape(view))</obj><skip>true</skip>\
            <selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type><path>view</path>\
            <skip>false</skip></selectSet></objectSet></specSet><options><maxObjects>\(pageSize)</maxObjects></options>
            """
        var objects: [ObjectContent] = []
        var answer = try await call("RetrievePropertiesEx", spec)
        var pages = 1
        while true {
            let result = answer.child("returnval")
            for item in result?.all("objects") ?? [] { objects.append(try Self.content(item)) }
            guard let token = result?.child("token")?.text, !token.isEmpty else { break }
            answer = try await call("ContinueRetrievePropertiesEx", """
                <_this type="PropertyCollector">\(Self.escape(collector))</_this><token>\(Self.escape(token))</token>
                """)
            pages += 1
        }
        return (objects, pages)
    }

    private static func content(_ item: XMLItem) throws -> ObjectContent {
        guard let obj = item.child("obj"), let type = obj.attributes["type"] else {
            throw CollectorFailure(.parseError, "an object in RetrievePropertiesEx's answer has no reference")
        }
        var properties: [String: XMLItem] = [:]
        for property in item.all("propSet") {
            if let name = property.child("name")?.text, let value = property.child("val") { properties[name] = value }
        }
        var missing: [String: String] = [:]
        for entry in item.all("missingSet") {
            if let path = entry.child("path")?.text { missing[path] = entry.child("fault")?.child("fault")?.xsiType ?? "unknown" }
        }
        return ObjectContent(type: type, id: obj.text, properties: properties, missing: missing)
    }

    /// One SOAP call: the body's answer element, or the fault mapped to the protocol's error kinds.
    private func call(_ method: String, _ body: String) async throws -> XMLItem {
        let envelope = """
            <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
            xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
            <soapenv:Body><\(method) xmlns="urn:vim25">\(body)</\(method)></soapenv:Body></soapenv:Envelope>
            """
        var headers = [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "\"urn:vim25/6.5\"")]
        if let session = cookie.value { headers.append(("Cookie", session)) }
        let reply: HTTPTransport.Reply
        do {
            reply = try await transport.send(.POST, url, headers: headers, body: Data(envelope.utf8))
        } catch let failure as HTTPTransport.Failure {
            throw Self.failure(failure, url: url)
        }
        if let setCookie = reply.headers["Set-Cookie"].first(where: { $0.hasPrefix("vmware_soap_session") }) {
            // Only `name=value`: the attributes after it are not sent back.
            cookie.value = String(setCookie.split(separator: ";").first ?? "")
        }
        let root: XMLItem
        do {
            root = try XMLItem.parse(reply.body)
        } catch {
            if reply.status == 401 || reply.status == 403 { throw CollectorFailure(.authFailed, "vCenter refused the request (HTTP \(reply.status))") }
            if reply.status >= 500 { throw CollectorFailure(.networkError, "vCenter answered HTTP \(reply.status) without a SOAP document") }
            throw CollectorFailure(.parseError, "\(method): the answer (HTTP \(reply.status)) is not a SOAP document")
        }
        guard let soapBody = root.child("Body") else { throw CollectorFailure(.parseError, "\(method): the answer has no SOAP body") }
        if let fault = soapBody.child("Fault") { throw Self.failure(fault: fault, method: method) }
        guard let answer = soapBody.child("\(method)Response") else {
            throw CollectorFailure(.parseError, "\(method): the answer has no \(method)Response")
        }
        return answer
    }

    private static func failure(_ failure: HTTPTransport.Failure, url: URL) -> CollectorFailure {
        let context: [String: JSONValue] = ["endpoint": .string("\(url.host ?? ""):\(url.port.map(String.init) ?? "")")]
        switch failure {
        case .tls(let reason): return CollectorFailure(.tlsError, "TLS with vCenter failed: \(reason)", context: context)
        case .network(let reason): return CollectorFailure(.networkError, "vCenter cannot be reached: \(reason)", context: context)
        case .timedOut: return CollectorFailure(.networkError, "vCenter did not answer within the timeout", context: context)
        case .tooLarge: return CollectorFailure(.parseError, "vCenter's answer exceeded the size limit", context: context)
        }
    }

    /// vim25 faults by their detail type: login problems are auth, missing privileges permission, the rest parse
    /// (the server answered, but not with anything the collector can use).
    private static func failure(fault: XMLItem, method: String) -> CollectorFailure {
        let detail = fault.child("detail")?.children.first
        let type = detail?.xsiType ?? detail?.name.replacingOccurrences(of: "Fault", with: "") ?? "unknown"
        let message = fault.child("faultstring")?.text ?? type
        let context: [String: JSONValue] = ["method": .string(method), "fault": .string(type)]
        switch type {
        case "InvalidLogin", "NotAuthenticated", "InvalidLocale", "PasswordExpired", "NoClientCertificate":
            return CollectorFailure(.authFailed, "vCenter refused the login: \(message)", context: context)
        case "NoPermission", "RestrictedVersion":
            return CollectorFailure(.permissionDenied, "The account may not \(method): \(message)", context: context)
        default:
            return CollectorFailure(.parseError, "vCenter answered \(method) with the fault \(type): \(message)", context: context)
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// The session cookie, shared by the calls of one collection (they run one after another).
private final class CookieBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
