import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders console pages: a page template inside the layout, in the request's language, for the signed-in user.
/// Pages carry no fleet data of their own beyond server-drawn charts; tables and forms fill from the API.
struct ConsolePages: Sendable {
    let assets: ConsoleAssets
    let identity: Identity

    /// Who is signed in through the session cookie (the authentication middleware resolves only API paths).
    func principal(_ request: Request) async -> Principal? {
        guard let session = request.cookies[SessionCookie.name]?.value, !session.isEmpty else { return nil }
        return try? await identity.principal(sessionId: session)
    }

    func language(_ request: Request) -> Language {
        Language.negotiate(cookie: request.cookies["lang"]?.value, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// A signed-in page: the user, or a redirect to the sign-in page that comes back here afterwards.
    func signedIn(_ request: Request) async -> Result<Principal, RedirectResponse> {
        if let principal = await principal(request) { return .success(principal) }
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let encoded = target.addingPercentEncoding(withAllowedCharacters: Self.queryValue) ?? "/"
        return .failure(RedirectResponse("/login?next=" + encoded))
    }

    /// Characters left as they are in a query value (RFC 3986 unreserved).
    static let queryValue = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// `template` in the layout; `values` are the page's own (charts as `…_svg`, rendered unescaped).
    func render(
        _ template: String, nav: String, titleKey: String, request: Request, principal: Principal?,
        values: [String: Any] = [:]
    ) -> Response {
        let language = language(request)
        let catalog = assets.catalogs[language] ?? assets.catalogs[.en]!
        var context: [String: Any] = values
        context["t"] = catalog.strings
        context["lang"] = language.htmlTag
        context["lang_\(language.rawValue)"] = true
        context["title"] = catalog[titleKey]
        context["page"] = template
        context["nav_\(nav)"] = true
        context["i18n_json"] = catalog.json.replacingOccurrences(of: "</", with: "<\\/")
        if let principal {
            context["user"] = ["name": principal.username, "role": principal.role.rawValue]
            if principal.role.permissions.contains(.admin) { context["is_admin"] = true }
            if principal.role.permissions.contains(.view) { context["fleet"] = true }
        }
        let body = assets.templates.render(context, withTemplate: template) ?? ""
        context["body"] = body
        let html = assets.templates.render(context, withTemplate: "layout") ?? body
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A 303 to another console path.
struct RedirectResponse: Error {
    let location: String
    init(_ location: String) { self.location = location }

    var response: Response { Response(status: .seeOther, headers: [.location: location]) }
}
