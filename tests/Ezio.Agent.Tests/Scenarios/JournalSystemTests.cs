using System.Text.Json;
using Ezio.Agent.Tests.TestSupport;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>A standalone systemd-journald (private mount namespace) receives the agent's structured entries.</summary>
[Collection(SystemCollection.Name)]
public sealed class JournalSystemTests
{
    [SystemFact]
    public async Task Agent_WithJournald_WritesStructuredEntries()
    {
        await using var rig = new AgentRig();
        var output = Path.Combine(rig.Root, "journal.json");
        var script = Path.Combine(AppContext.BaseDirectory, "Scenarios", "journal-run.sh");
        var run = Shell.TryRun(TimeSpan.FromSeconds(60), "unshare", "-m", "/bin/bash", script, Binaries.Agent, output);
        Assert.True(run.ExitCode == 0, run.Output);

        var entries = File.ReadAllLines(output).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(entries);
        var starting = entries.First(e => Field(e, "EZIO_EVENT_ID") == "1");
        Assert.Equal("6", Field(starting, "PRIORITY"));
        Assert.Equal("ezio-agent", Field(starting, "SYSLOG_IDENTIFIER"));
        Assert.StartsWith("ezio agent 0.1.0 starting", Field(starting, "MESSAGE"));
        Assert.Equal("http://127.0.0.1:9", Field(starting, "EZIO_SERVER"));
        Assert.Equal("Ezio.Agent.Starting", Field(starting, "CODE_FUNC"));

        var failed = entries.First(e => Field(e, "EZIO_EVENT_ID") == "3");
        Assert.Equal("4", Field(failed, "PRIORITY"));
        Assert.Contains("Cannot register", Field(failed, "MESSAGE"));
        Assert.NotNull(Field(failed, "EZIO_REASON"));
        Assert.NotNull(Field(failed, "EZIO_RETRY_SECONDS"));
        Assert.Equal("Cannot register with {Server}: {Reason}; retrying in {RetrySeconds} s", Field(failed, "EZIO_TEMPLATE"));
    }

    private static string? Field(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
