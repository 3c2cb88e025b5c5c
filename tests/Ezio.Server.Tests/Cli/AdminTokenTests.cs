using Ezio.Server.Cli;
using Xunit;

namespace Ezio.Server.Tests.Cli;

/// <summary>Where `ezio-server deploy|status|release` find the admin token, and --insecure.</summary>
public sealed class AdminTokenTests
{
    [Fact]
    public void Token_FromStateDirectoryOfConfigFile()
    {
        var dirs = new TestDirs();
        Directory.CreateDirectory(dirs.State);
        File.WriteAllText(Path.Combine(dirs.State, "admin-token"), "from-state\n");
        var config = Path.Combine(dirs.Root, "server.json");
        File.WriteAllText(config, $$"""{ "stateDirectory": "{{dirs.State}}" }""");
        Assert.Equal("from-state", AdminCommands.Token(Options.Parse(["--config", config, "--server", "http://127.0.0.1:1"], ["--config", "--server"])));
    }

    [Fact]
    public void Token_OptionsWinInOrder()
    {
        var dirs = new TestDirs();
        Directory.CreateDirectory(dirs.State);
        File.WriteAllText(Path.Combine(dirs.State, "admin-token"), "from-state");
        var file = Path.Combine(dirs.Root, "token");
        File.WriteAllText(file, "from-file");
        string[] known = ["--admin-token", "--admin-token-file", "--state"];
        Assert.Equal("given", AdminCommands.Token(Options.Parse(["--admin-token", "given", "--state", dirs.State], known)));
        Assert.Equal("from-file", AdminCommands.Token(Options.Parse(["--admin-token-file", file, "--state", dirs.State], known)));
        Assert.Equal("from-state", AdminCommands.Token(Options.Parse(["--state", dirs.State], known)));
        Assert.Null(AdminCommands.Token(Options.Parse(["--state", Path.Combine(dirs.Root, "none")], known)));
        Assert.Throws<UsageException>(() => AdminCommands.Token(Options.Parse(["--admin-token-file", Path.Combine(dirs.Root, "missing")], known)));
    }

    [Fact]
    public void Serve_InsecureFlag_AndTokenFileOption()
    {
        var dirs = new TestDirs();
        var config = Path.Combine(dirs.Root, "server.json");
        File.WriteAllText(config, "{}");
        var options = ServeCommand.BuildOptions(Options.Parse(["--config", config, "--repo", dirs.Repo, "--insecure", "--admin-token-file", "/x/t", "--public-url", "http://127.0.0.1:1"],
            ["--config", "--repo", "--admin-token-file", "--public-url"], ["--insecure"]));
        Assert.True(options.Insecure);
        Assert.Equal("/x/t", options.AdminTokenFile);
        var secure = ServeCommand.BuildOptions(Options.Parse(["--config", config, "--repo", dirs.Repo, "--public-url", "http://127.0.0.1:1"], ["--config", "--repo", "--public-url"]));
        Assert.False(secure.Insecure);
    }
}
