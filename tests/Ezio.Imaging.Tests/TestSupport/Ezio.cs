using System.Diagnostics;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>The real ezio binary: EZIO_BIN, else the Release build of src/Ezio.</summary>
internal static class EzioBinary
{
    public static string Path
    {
        get
        {
            if (Environment.GetEnvironmentVariable("EZIO_BIN") is { Length: > 0 } bin)
            {
                return bin;
            }
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "Ezio.sln")))
            {
                dir = System.IO.Path.GetDirectoryName(dir);
            }
            string built = System.IO.Path.Combine(dir ?? ".", "src/Ezio/bin/Release/net10.0/linux-x64/ezio");
            if (!File.Exists(built))
            {
                throw new FileNotFoundException($"No ezio binary: set EZIO_BIN or run 'dotnet build src/Ezio -c Release' ({built}).");
            }
            return built;
        }
    }

    public static string Run(params string[] arguments) => Shell.Run(Path, arguments, stdoutFile: null, timeoutSeconds: 300);

    public static int FreePort() => global::Ezio.TestKit.Net.FreePort.Next();

    /// <summary>Starts `ezio seed` in the background and returns once it accepts on <paramref name="port"/>; dispose stops it by its PID.</summary>
    public static SeedProcess Seed(string torrent, string source, int port)
    {
        var info = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "seed", torrent, source, "--port", port.ToString() })
        {
            info.ArgumentList.Add(a);
        }
        var seed = new SeedProcess(Process.Start(info)!);
        try
        {
            global::Ezio.TestKit.Net.FreePort.WaitForListenerAsync(port, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            seed.Dispose();
            throw new TimeoutException($"{e.Message}\n{seed.Errors}", e);
        }
        return seed;
    }
}

internal sealed class SeedProcess(Process process) : IDisposable
{
    private readonly Task<string> _errors = process.StandardError.ReadToEndAsync();
    private readonly Task<string> _output = process.StandardOutput.ReadToEndAsync();

    public string Errors => _errors.IsCompleted ? _errors.Result : "(still running)";

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
        _ = _output;
        process.Dispose();
    }
}
