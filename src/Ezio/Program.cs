using System.Reflection;
using Ezio.Agent;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Commands;

namespace Ezio;

internal static class Program
{
    private const string Help = """
        ezio: mass bare-metal deployment over BitTorrent.

        Commands:
          ezio agent [options]                                     the deployment daemon (ezio-agent.service)
          ezio get <torrent-file-or-http-url> <target> [options]   download, verify, write
          ezio seed <torrent> <source> [options]                   seed until stopped
          ezio verify <torrent> <target>                           re-check every piece
          ezio torrent create <file-or-dir> -o <out.torrent>       make a torrent
          ezio torrent info <torrent>                              describe a torrent
          ezio image import|capture|info|verify|export-web ...     Ezio images (see ezio image --help)

        'ezio <command> --help' describes each command.
        """;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "agent" => await AgentCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "get" => await GetCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "seed" => await SeedCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "verify" => await VerifyCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "torrent" => await TorrentCommands.RunAsync(args[1..]).ConfigureAwait(false),
                "image" => await ImageCommands.RunAsync(args[1..]).ConfigureAwait(false),
                "--version" or "version" => Version(),
                _ => throw new UsageException($"unknown command '{args[0]}'; see ezio --help."),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"ezio: {e.Message}");
            return 2;
        }
        catch (StorageException e)
        {
            Console.Error.WriteLine($"ezio: storage failure: {e.Message}");
            return 1;
        }
    }

    /// <summary>The version of Directory.Build.props (assembly informational version).</summary>
    internal static string VersionText =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static int Version()
    {
        Console.WriteLine("ezio " + VersionText);
        return 0;
    }
}
