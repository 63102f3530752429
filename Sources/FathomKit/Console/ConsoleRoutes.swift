import Hummingbird

/// The web console: `/` and its script. It talks to the same `/api/v1` routes as every other client.
struct ConsoleRoutes: RouteGroup {
    var endpoints: [Route] {
        [
            Route(.get, "/", access: .public, tag: "console", summary: "Web console", home),
            Route(.get, "/assets/console.js", access: .public, tag: "console", summary: "Web console script", script),
        ]
    }

    func home(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        html(ConsolePage.html)
    }

    func script(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: ConsolePage.script)))
    }

}

enum ConsolePage {
    static let html = """
        <!doctype html><html><head><meta charset="utf-8"><title>Fathom</title>
        <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:40rem}input,button{font:inherit;margin:.2rem 0;padding:.3rem}
        .err{color:#b00}</style><script src="/assets/console.js" defer></script></head>
        <body><h1>Fathom</h1>
        <form id="login" hidden><p><label>Username<br><input name="username" autocomplete="username" required></label></p>
        <p><label>Password<br><input name="password" type="password" autocomplete="current-password" required></label></p>
        <button>Sign in</button> <span class="err" id="error"></span></form>
        <div id="home" hidden><p>Signed in as <b id="who"></b> (<span id="role"></span>).</p>
        <button id="logout">Sign out</button></div>
        <p><a href="/api/docs">API reference</a></p></body></html>
        """

    static let script = """
        let csrf = null;
        async function api(method, path, body) {
          const headers = {'Content-Type': 'application/json'};
          if (csrf && method !== 'GET') headers['X-CSRFToken'] = csrf;
          const response = await fetch(path, {method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin'});
          const data = response.status === 204 ? null : await response.json();
          if (!response.ok) throw new Error(data && data.error ? data.error.message : response.statusText);
          return data;
        }
        function show(user) {
          document.getElementById('login').hidden = !!user;
          document.getElementById('home').hidden = !user;
          if (user) { document.getElementById('who').textContent = user.username; document.getElementById('role').textContent = user.role; }
        }
        async function refresh() {
          try {
            const me = await api('GET', '/api/v1/auth/me');
            csrf = (await api('GET', '/api/v1/auth/csrf-token')).data.csrfToken;
            show(me.data);
          } catch (e) { show(null); }
        }
        document.getElementById('login').addEventListener('submit', async (event) => {
          event.preventDefault();
          const form = new FormData(event.target);
          try {
            const result = await api('POST', '/api/v1/auth/login', {username: form.get('username'), password: form.get('password')});
            csrf = result.data.csrfToken; show(result.data); document.getElementById('error').textContent = '';
          } catch (e) { document.getElementById('error').textContent = e.message; }
        });
        document.getElementById('logout').addEventListener('click', async () => { await api('POST', '/api/v1/auth/logout'); csrf = null; show(null); });
        refresh();
        """
}
