using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ezio.TestKit.Processes;

namespace Ezio.Server.Tests.Dashboard;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol (JSON over a WebSocket;
/// https://chromedevtools.github.io/devtools-protocol/): launched with
/// --remote-debugging-port=0, it writes the port it chose to DevToolsActivePort in its fresh
/// profile directory. We kill only the process we started.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly ChildProcess _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(ChildProcess process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static bool IsAvailable => File.Exists(Executable);

    public static async Task<HeadlessChromium> StartAsync(CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("ezio-chromium-").FullName;
        var process = ChildProcess.Start(Executable, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--window-size=1280,900", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "--user-data-dir=" + profile, "about:blank"]);
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            while (!File.Exists(portFile) || (await File.ReadAllLinesAsync(portFile, cancellationToken)).Length < 2)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"chromium exited with {await process.WaitForExitAsync()}.\n{process.Output}");
                }
                await Task.Delay(50, cancellationToken);
            }
            var port = (await File.ReadAllLinesAsync(portFile, cancellationToken))[0].Trim();
            // The page target (not the browser endpoint) accepts Page.* and Runtime.* directly.
            using var http = new HttpClient();
            using var list = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", cancellationToken));
            var page = list.RootElement.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
            await browser._socket.ConnectAsync(new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!), cancellationToken);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public async Task NavigateAsync(string url, CancellationToken cancellationToken)
    {
        await CallAsync("Page.enable", "{}", cancellationToken);
        await CallAsync("Page.navigate", $"{{\"url\":{JsonSerializer.Serialize(url, TestJson.Default.String)}}}", cancellationToken);
    }

    /// <summary>Evaluates a JavaScript expression that yields a string.</summary>
    public async Task<string?> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        using var result = await CallAsync("Runtime.evaluate",
            $"{{\"expression\":{JsonSerializer.Serialize(expression, TestJson.Default.String)},\"returnByValue\":true}}", cancellationToken);
        var value = result.RootElement.GetProperty("result").GetProperty("result");
        return value.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>Polls <paramref name="expression"/> until <paramref name="accept"/> likes it (bounded by the token).</summary>
    public async Task<string?> WaitForAsync(string expression, Func<string?, bool> accept, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = await EvaluateAsync(expression, cancellationToken);
            if (accept(value))
            {
                return value;
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task<byte[]> ScreenshotAsync(CancellationToken cancellationToken, bool wholePage = true)
    {
        using var result = await CallAsync("Page.captureScreenshot", wholePage ? "{\"format\":\"png\",\"captureBeyondViewport\":true}" : "{\"format\":\"png\"}", cancellationToken);
        return Convert.FromBase64String(result.RootElement.GetProperty("result").GetProperty("data").GetString()!);
    }

    /// <summary>The page's size as a screen of <paramref name="width"/>×<paramref name="height"/> (a phone's when <paramref name="mobile"/>).</summary>
    public async Task SetViewportAsync(int width, int height, bool mobile, CancellationToken cancellationToken)
    {
        using var _ = await CallAsync("Emulation.setDeviceMetricsOverride",
            $"{{\"width\":{width},\"height\":{height},\"deviceScaleFactor\":1,\"mobile\":{(mobile ? "true" : "false")}}}", cancellationToken);
    }

    /// <summary>Runs <paramref name="source"/> in every document before its own scripts (e.g. a PerformanceObserver).</summary>
    public async Task AddScriptOnNewDocumentAsync(string source, CancellationToken cancellationToken)
    {
        using var enable = await CallAsync("Page.enable", "{}", cancellationToken);
        using var _ = await CallAsync("Page.addScriptToEvaluateOnNewDocument",
            $"{{\"source\":{JsonSerializer.Serialize(source, TestJson.Default.String)}}}", cancellationToken);
    }

    /// <summary>Presses a key on whatever has the focus, as a keyboard would (Enter: "Enter", "\r").</summary>
    public async Task PressKeyAsync(string key, int keyCode, string text, CancellationToken cancellationToken)
    {
        foreach (var type in (string[])["keyDown", "keyUp"])
        {
            var textPart = type == "keyDown" ? $",\"text\":{JsonSerializer.Serialize(text, TestJson.Default.String)}" : "";
            using var _ = await CallAsync("Input.dispatchKeyEvent",
                $"{{\"type\":\"{type}\",\"key\":\"{key}\",\"code\":\"{key}\",\"windowsVirtualKeyCode\":{keyCode}{textPart}}}", cancellationToken);
        }
    }

    private async Task<JsonDocument> CallAsync(string method, string parameters, CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        var message = Encoding.UTF8.GetBytes($"{{\"id\":{id},\"method\":\"{method}\",\"params\":{parameters}}}");
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var frame = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, cancellationToken);
                frame.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);
            var document = JsonDocument.Parse(frame.ToArray());
            if (document.RootElement.TryGetProperty("id", out var got) && got.GetInt32() == id)
            {
                if (document.RootElement.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException($"{method}: {error}");
                }
                return document;
            }
            document.Dispose(); // an event (Page.loadEventFired, ...), not our answer
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        // SIGTERM: the browser ends its own renderers; SIGKILL if it lingers.
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be writing its crash dumps; the temp dir is the OS's problem then.
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
