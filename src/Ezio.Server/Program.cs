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
                ["wake", .. var rest] => await WakeCommand.RunAsync(rest).ConfigureAwait(false),
                ["--help" or "-h" or "help", ..] => Help(),
                _ => await ServeCommand.RunAsync(args).ConfigureAwait(false),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync("ezio-server: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }

    private static int Help()
    {
        Console.WriteLine(ServeCommand.Usage);
        Console.WriteLine(AdminCommands.DeployUsage);
        Console.WriteLine(AdminCommands.StatusUsage);
        Console.WriteLine(WakeCommand.Usage);
        return 0;
    }
}

internal sealed class UsageException(string message) : Exception(message);
