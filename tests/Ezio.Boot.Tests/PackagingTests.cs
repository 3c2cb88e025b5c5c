using System.Text.RegularExpressions;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>The version's one place (Directory.Build.props), the Makefile's SDK check, and the Debian packages.</summary>
public sealed partial class PackagingTests
{
    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    private static string PropsVersion =>
        VersionElement().Match(File.ReadAllText(Shell.Path("Directory.Build.props"))).Groups[1].Value;

    [Fact]
    public void BothBinariesPrintTheVersionOfDirectoryBuildProps()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", PropsVersion);
        var cli = Shell.MustSucceed(Shell.Run(Shell.EzioBin, ["--version"]), "ezio --version").Output.Trim();
        var server = Shell.MustSucceed(Shell.Run(Shell.ServerBin, ["--version"]), "ezio-server --version").Output.Trim();
        Assert.Equal("ezio " + PropsVersion, cli);
        Assert.Equal("ezio-server " + PropsVersion, server);
    }

    [Theory]
    [InlineData("DOTNET=/nonexistent/dotnet")]
    [InlineData("SDK_WANT=10.0.999")]
    [InlineData("SDK_WANT=11.0.100")]
    public void MakeStopsWithOneLineWithoutTheRightSdk(string variable)
    {
        var make = Shell.Run("make", ["-n", "build", variable]);
        Assert.NotEqual(0, make.ExitCode);
        var lines = make.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("the .NET SDK", lines[0], StringComparison.Ordinal);
        Assert.Contains("is needed", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void MakeGoesOnWithThePinnedSdkAndCleanNeedsNone()
    {
        Assert.Equal(0, Shell.Run("make", ["-n", "build"]).ExitCode);
        Assert.Equal(0, Shell.Run("make", ["-n", "clean", "DOTNET=/nonexistent/dotnet"]).ExitCode);
    }

    [Theory]
    [InlineData("ezio.1", "ezio get")]
    [InlineData("ezio-server.8", "ezio-server setup --interface")]
    public void ManPageRendersWithoutWarnings(string page, string expected)
    {
        var man = RenderMan(Shell.Path("packaging", "man", page));
        Assert.True(man.ExitCode == 0, man.All);
        Assert.Equal("", man.Error.Trim());
        Assert.Contains(expected, man.Output.Replace("\u2010", "-", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void ManWarningsAreSeen()
    {
        // The check above must be able to fail: an unknown macro is a warning.
        using var tmp = new TempDir();
        var page = tmp.Path("bad.1");
        File.WriteAllText(page, ".TH BAD 1\n.SH NAME\nbad \\- page\n.XQ unknown\n");
        Assert.NotEqual("", RenderMan(page).Error.Trim());
    }

    private static Shell.Result RenderMan(string page) =>
        Shell.Run("man", ["--warnings", "-E", "UTF-8", "-l", page], env: new Dictionary<string, string> { ["MANWIDTH"] = "80", ["LC_ALL"] = "C.UTF-8" });
}
