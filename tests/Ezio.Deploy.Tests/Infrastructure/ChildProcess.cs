using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// One child process started by a test. stdout and stderr are captured line by line (kept
/// apart: tests assert on ezio's stderr lines), every wait is bounded, and only the PID this
/// instance started is ever signalled: SIGTERM, then SIGKILL, on dispose.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly string _label;
    private bool _disposed;

    private ChildProcess(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public string Output => $"--- {_label} (pid {Pid})\n--- stdout:\n{Stdout}--- stderr:\n{Stderr}";

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, Path.GetFileName(fileName) + " " + string.Join(' ', info.ArgumentList));
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Waits for exit (bounded) and returns the exit code once all output is read.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Tools.Timeout);
        try
        {
            // The token-less overload also waits for the end of redirected output.
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Did not exit within {(timeout ?? Tools.Timeout).TotalSeconds:0} s.\n{Output}");
        }

        return _process.ExitCode;
    }

    public async Task ExpectSuccessAsync(TimeSpan? timeout = null)
    {
        int code = await WaitForExitAsync(timeout);
        Assert.True(code == 0, $"Exited with {code}.\n{Output}");
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails early if the process exits.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Exited ({_process.ExitCode}) while waiting for {what}.\n{Output}");
            }

            if (clock.Elapsed > (timeout ?? Tools.Timeout))
            {
                throw new TimeoutException($"Waited {clock.Elapsed.TotalSeconds:0} s for {what}.\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL to this PID (a crash, not a clean stop), then reap it.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns the exit code, or null when killed.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        _ = Kill(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            KillHard();
            return null;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, SigTerm);
                if (!_process.WaitForExit(3_000))
                {
                    KillHard();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    public override string ToString() => $"{_label} (pid {Pid})";

    private void Append(StringBuilder target, string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                target.AppendLine(line);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
