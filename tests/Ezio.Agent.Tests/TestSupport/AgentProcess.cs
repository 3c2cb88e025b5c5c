using System.Diagnostics;
using System.Text;
using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>One `ezio agent` process (optionally inside a network namespace); killed by PID on dispose.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static AgentProcess Start(IEnumerable<string> arguments, NetPair? net = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(net is null ? Binaries.Agent : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (net is not null)
        {
            foreach (var a in net.Exec)
            {
                info.ArgumentList.Add(a);
            }
            info.ArgumentList.Add(Binaries.Agent);
        }
        info.ArgumentList.Add("agent");
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        var agent = new AgentProcess(Process.Start(info)!);
        agent._process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        return agent;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"agent did not exit within {timeout}:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Signal(string signal) => Shell.Run("kill", "-" + signal, Pid.ToString());

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
        _process.Dispose();
    }
}
