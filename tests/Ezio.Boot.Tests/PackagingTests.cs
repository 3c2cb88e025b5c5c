using System.Text.RegularExpressions;
using Ezio.TestKit.Files;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>The version's one place (Directory.Build.props), the Makefile's SDK check, and the Debian packages.</summary>
public sealed partial class PackagingTests
{
    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    private static string PropsVersion =>
        VersionElement().Match(File.ReadAllText(Repo.Path("Directory.Build.props"))).Groups[1].Value;

    [Fact]
    public void BothBinariesPrintTheVersionOfDirectoryBuildProps()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", PropsVersion);
        var cli = Repo.MustSucceed(Repo.Run(Repo.EzioBin, ["--version"]), "ezio --version").Stdout.Trim();
        var server = Repo.MustSucceed(Repo.Run(Repo.ServerBin, ["--version"]), "ezio-server --version").Stdout.Trim();
        Assert.Equal("ezio " + PropsVersion, cli);
        Assert.Equal("ezio-server " + PropsVersion, server);
    }

    [Theory]
    [InlineData("DOTNET=/nonexistent/dotnet")]
    [InlineData("SDK_WANT=10.0.999")]
    [InlineData("SDK_WANT=11.0.100")]
    public void MakeStopsWithOneLineWithoutTheRightSdk(string variable)
    {
        var make = Repo.Run("make", ["-n", "build", variable]);
        Assert.NotEqual(0, make.ExitCode);
        var lines = make.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("the .NET SDK", lines[0], StringComparison.Ordinal);
        Assert.Contains("is needed", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void MakeGoesOnWithThePinnedSdkAndCleanNeedsNone()
    {
        Assert.Equal(0, Repo.Run("make", ["-n", "build"]).ExitCode);
        Assert.Equal(0, Repo.Run("make", ["-n", "clean", "DOTNET=/nonexistent/dotnet"]).ExitCode);
    }

    [Theory]
    [InlineData("ezio.1", "ezio get")]
    [InlineData("ezio-server.8", "ezio-server setup --interface")]
    public void ManPageRendersWithoutWarnings(string page, string expected)
    {
        var man = RenderMan(Repo.Path("packaging", "man", page));
        Assert.True(man.ExitCode == 0, man.Output);
        Assert.Equal("", man.Stderr.Trim());
        Assert.Contains(expected, man.Stdout.Replace("\u2010", "-", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void ManWarningsAreSeen()
    {
        // The check above must be able to fail: an unknown macro is a warning.
        using var tmp = new TempDirectory("ezio-boot-test-");
        var page = tmp.Combine("bad.1");
        File.WriteAllText(page, ".TH BAD 1\n.SH NAME\nbad \\- page\n.XQ unknown\n");
        Assert.NotEqual("", RenderMan(page).Stderr.Trim());
    }

    private static Shell.Result RenderMan(string page) =>
        Repo.Run("man", ["--warnings", "-E", "UTF-8", "-l", page], env: new Dictionary<string, string> { ["MANWIDTH"] = "80", ["LC_ALL"] = "C.UTF-8" });
}
