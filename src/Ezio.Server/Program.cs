using System.Reflection;
using Ezio.Server.Cli;

namespace Ezio.Server;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["deploy", .. var rest] => await AdminCommands.DeployAsync(rest).ConfigureAwait(false),
                ["status", .. var rest] => await AdminCommands.StatusAsync(rest).ConfigureAwait(false),
                ["release", .. var rest] => await AdminCommands.ReleaseAsync(rest).ConfigureAwait(false),
                ["cancel", .. var rest] => await ActionCommands.CancelAsync(rest).ConfigureAwait(false),
                ["retry", .. var rest] => await ActionCommands.RetryAsync(rest).ConfigureAwait(false),
                ["wake", .. var rest] => await WakeCommand.RunAsync(rest).ConfigureAwait(false),
                ["cert-fingerprint", .. var rest] => CertCommand.Run(rest),
                ["setup", .. var rest] => SetupCommand.Run(rest, Console.Out),
                ["--help" or "-h" or "help", ..] => Help(),
                ["--version" or "version"] => Version(),
                _ => await ServeCommand.RunAsync(args).ConfigureAwait(false),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync("ezio-server: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            await Console.Error.WriteLineAsync("ezio-server: the server's HTTPS certificate is not the pinned one (--state DIR of that server, or --server-cert-sha256 HEX from its 'ezio-server cert-fingerprint')").ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException e)
        {
            // deploy and status talk to a running server; a wrong URL or a server that is not
            // up yet is an everyday mistake, not a crash.
            await Console.Error.WriteLineAsync($"ezio-server: cannot reach the server: {e.Message} (is it running? --server URL or EZIO_SERVER says where)").ConfigureAwait(false);
            return 1;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            await Console.Error.WriteLineAsync("ezio-server: the server did not answer in time").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The version of Directory.Build.props (assembly informational version).</summary>
    internal static string VersionText =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static int Version()
    {
        Console.WriteLine("ezio-server " + VersionText);
        return 0;
    }

    private static int Help()
    {
        Console.WriteLine(ServeCommand.Usage);
        Console.WriteLine(AdminCommands.DeployUsage);
        Console.WriteLine(AdminCommands.StatusUsage);
        Console.WriteLine(AdminCommands.ReleaseUsage);
        Console.WriteLine(ActionCommands.CancelUsage);
        Console.WriteLine(ActionCommands.RetryUsage);
        Console.WriteLine(WakeCommand.Usage);
        Console.WriteLine(CertCommand.Usage);
        Console.WriteLine(SetupCommand.Usage);
        return 0;
    }
}

internal sealed class UsageException(string message) : Exception(message);
