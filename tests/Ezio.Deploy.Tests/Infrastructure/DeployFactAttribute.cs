using System.Runtime.CompilerServices;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// A deployment test: needs root (loop devices, mount) and real programs, listed
/// comma-separated ("ezio,libtorrent,losetup"). With CI set it always runs, so a missing tool
/// or missing root fails it. Outside CI it skips, loudly: the reason goes into the display
/// name, which `dotnet test` prints on its Skipped line, and to stderr.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DeployFactAttribute : FactAttribute
{
    public DeployFactAttribute(string tools, [CallerMemberName] string test = "")
    {
        IReadOnlyList<string> missing = Tools.Missing(tools, needsRoot: true);
        if (missing.Count > 0)
        {
            Skip = $"SKIPPED DEPLOY TEST (CI unset): {string.Join(", ", missing)} missing; with CI=true this test fails";
            DisplayName = $"{test} <<< {Skip} >>>";
            Console.Error.WriteLine("WARNING: " + DisplayName);
        }
    }
}
