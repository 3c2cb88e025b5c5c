using Ezio.Deployment.Contracts;
using Ezio.Server.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: agents report over the API, headless Chromium shows the
/// progress, and the numbers change live (same page, no reload). Screenshot:
/// &lt;test output&gt;/artifacts/dashboard.png.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string A = "52:54:00:00:00:0a";
    private const string B = "52:54:00:00:00:0b";
    private const string C = "52:54:00:00:00:0c";

    // [mac, percent, phase] for each machine row.
    private const string Rows = "JSON.stringify([...document.querySelectorAll('tr[data-mac]')].map(r => " +
        "r.dataset.mac + '=' + r.querySelector('[role=progressbar]').getAttribute('aria-valuenow') + '/' + r.querySelector('[data-field=phase]').textContent))";

    [ToolFact("chromium")]
    public async Task Dashboard_AgentProgress_AppearsAndChangesLive()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab-2026", length: 40 * 65536);
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab-2026", [A, B, C], Hostnames: new Dictionary<string, string> { [A] = "pc-a", [B] = "pc-b" }));
        var agents = new AgentSimulator(server);
        var jobA = await agents.RegisterAsync(A, "10.0.0.10", "pc-a");
        var jobB = await agents.RegisterAsync(B, "10.0.0.11", "pc-b");
        var size = jobA.ImageSizeBytes;
        await agents.ProgressAsync(A, jobA, DeployPhase.Downloading, size / 4, 12 << 20, 3 << 20, 2);

        // Generous: headless Chromium starts slowly on a loaded 2-core CI machine.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await using var browser = await HeadlessChromium.StartAsync(cancel.Token);
        await browser.NavigateAsync(server.BaseAddress.ToString(), cancel.Token);
        var first = await browser.WaitForAsync(Rows, v => v?.Contains(A + "=25.0/downloading", StringComparison.Ordinal) == true, cancel.Token);
        output.WriteLine("first: " + first);
        Assert.Contains(C + "=0.0/waiting", first);
        await browser.EvaluateAsync("window.__sameDocument = 'yes'", cancel.Token);

        // Live: more progress, a failure, a finished machine; the page must follow by itself.
        await agents.ProgressAsync(A, jobA, DeployPhase.Downloading, size * 3 / 5, 20 << 20, 5 << 20, 2);
        await agents.ProgressAsync(B, jobB, DeployPhase.Verifying, size / 10, 0, 1 << 20, 1);
        var second = await browser.WaitForAsync(Rows,
            v => v?.Contains(A + "=60.0/downloading", StringComparison.Ordinal) == true && v.Contains(B + "=10.0/verifying", StringComparison.Ordinal), cancel.Token);
        output.WriteLine("second: " + second);
        Assert.Equal("yes", await browser.EvaluateAsync("window.__sameDocument", cancel.Token));
        Assert.Equal("live", await browser.EvaluateAsync("document.getElementById('conn').textContent", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("String(document.getElementById('insecure').hidden)", cancel.Token));
        var summary = await browser.EvaluateAsync("document.querySelector('[data-field=rate-in]').textContent", cancel.Token);
        Assert.Equal("↓ 20.0 MiB/s", summary);

        await agents.DoneAsync(B, jobB, ok: false, "hash mismatch on /dev/sda");
        await browser.WaitForAsync(Rows, v => v?.Contains(B + "=", StringComparison.Ordinal) == true && v.Contains("/failed", StringComparison.Ordinal), cancel.Token);
        await browser.WaitForAsync("document.querySelector('#history tbody').textContent", v => v?.Contains("hash mismatch", StringComparison.Ordinal) == true, cancel.Token);

        // A finished machine's record says what crossed the wire and what reached its disk.
        await agents.DoneAsync(A, jobA, ok: true, fetched: 1_000_000, written: size);
        var history = await browser.WaitForAsync("document.querySelector('#history tbody').textContent",
            v => v?.Contains("976.6 KiB", StringComparison.Ordinal) == true, cancel.Token);
        Assert.Contains("2.5 MiB", history!);

        var png = await browser.ScreenshotAsync(cancel.Token);
        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        var path = Path.Combine(artifacts, "dashboard.png");
        await File.WriteAllBytesAsync(path, png, cancel.Token);
        output.WriteLine($"screenshot: {path} ({png.Length} bytes)");
        Assert.True(png.Length > 1000);
    }

    [ToolFact("chromium")]
    public async Task Dashboard_ConflictAndInsecure_ShownLive()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab-2026");
        await using var server = await TestServer.StartAsync(dirs, o => o.Insecure = true);
        await server.DeployAsync(new("lab-2026", [A]));
        var request = new RegisterRequest(A, null, "pc-a", [], 1L << 30, "boot", "test");
        using (var victim = server.Client(localAddress: "127.0.0.1"))
        {
            (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(victim, ApiRoutes.Register, request, DeploymentJsonContext.Default.RegisterRequest)).EnsureSuccessStatusCode();
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await using var browser = await HeadlessChromium.StartAsync(cancel.Token);
        await browser.NavigateAsync(server.BaseAddress.ToString(), cancel.Token);
        await browser.WaitForAsync(Rows, v => v?.Contains(A + "=0.0/registered", StringComparison.Ordinal) == true, cancel.Token);
        Assert.Equal("false", await browser.EvaluateAsync("String(document.getElementById('insecure').hidden)", cancel.Token));

        // Another address registers the same MAC: the row turns to "conflict" by itself.
        using (var other = server.Client(localAddress: "127.0.0.2"))
        {
            (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(other, ApiRoutes.Register, request, DeploymentJsonContext.Default.RegisterRequest)).EnsureSuccessStatusCode();
        }
        await browser.WaitForAsync(Rows, v => v?.Contains(A + "=0.0/conflict", StringComparison.Ordinal) == true, cancel.Token);
        var message = await browser.EvaluateAsync($"document.querySelector('tr[data-mac=\"{A}\"] [data-field=message]').textContent", cancel.Token);
        Assert.Contains("127.0.0.2", message!, StringComparison.Ordinal);
        Assert.Contains("ezio-server release " + A, message!, StringComparison.Ordinal);
    }
}
