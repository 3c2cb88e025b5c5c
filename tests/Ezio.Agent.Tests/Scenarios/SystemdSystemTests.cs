using System.Text.Json;
using Ezio.Agent.Tests.TestSupport;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>The agent under an emulated systemd: READY=1 after registration, WATCHDOG=1 pings, STOPPING=1 on SIGTERM.</summary>
[Collection(SystemCollection.Name)]
public sealed class SystemdSystemTests
{
    private static async Task<(List<(double At, string Text)> Messages, double? TermAt, int Exit)> RunUnderSystemdAsync(AgentRig rig, string serverUrl, double termAfter, double deadline = 30)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Scenarios", "fake-systemd.py");
        var output = Path.Combine(rig.Root, "notify.json");
        var arguments = new List<string> { script, Path.Combine(rig.Root, "notify.sock"), output, termAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), deadline.ToString(System.Globalization.CultureInfo.InvariantCulture), Binaries.Agent, "agent" };
        arguments.AddRange(rig.Arguments(serverUrl, "auto", "02:00:00:00:40:01"));
        await Task.Run(() => Shell.Run(TimeSpan.FromSeconds(90), "python3", [.. arguments]));
        using var json = JsonDocument.Parse(File.ReadAllText(output));
        var messages = json.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m[0].GetDouble(), m[1].GetString()!)).ToList();
        var term = json.RootElement.GetProperty("term_at");
        return (messages, term.ValueKind == JsonValueKind.Null ? null : term.GetDouble(), json.RootElement.GetProperty("exit").GetInt32());
    }

    [SystemFact]
    public async Task Agent_UnderSystemd_ReadyAfterRegistrationThenWatchdogThenStopping()
    {
        await using var rig = new AgentRig();
        Directory.CreateDirectory(Path.Combine(rig.Root, "repo"));
        await using var server = await ServerProcess.StartAsync(rig.Root, "127.0.0.1");

        var (messages, termAt, exit) = await RunUnderSystemdAsync(rig, server.Url, termAfter: 2.5);

        var ready = messages.FindIndex(m => m.Text.Contains("READY=1"));
        Assert.True(ready >= 0, "no READY=1: " + string.Join(" | ", messages));
        var pings = messages.Where(m => m.Text == "WATCHDOG=1" && m.At > messages[ready].At && m.At < termAt).ToList();
        Assert.True(pings.Count >= 5, $"expected a WATCHDOG=1 every 200 ms, got {pings.Count}");
        Assert.Contains(messages, m => m.Text.Contains("STOPPING=1") && m.At >= termAt);
        Assert.Equal(0, exit);
    }

    [SystemFact]
    public async Task Agent_ServerUnreachable_NeverSignalsReady()
    {
        await using var rig = new AgentRig();
        var (messages, _, exit) = await RunUnderSystemdAsync(rig, "http://127.0.0.1:9", termAfter: 0, deadline: 4);
        Assert.DoesNotContain(messages, m => m.Text.Contains("READY=1"));
        Assert.Contains(messages, m => m.Text == "WATCHDOG=1"); // alive and retrying, not hung
        Assert.Contains(messages, m => m.Text.Contains("STOPPING=1"));
        Assert.Equal(0, exit);
    }
}
