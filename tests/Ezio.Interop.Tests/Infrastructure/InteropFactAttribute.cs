using System.Runtime.CompilerServices;

namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// A fact that needs real programs, listed comma-separated ("ezio,libtorrent").
/// Outside CI (CI unset) a missing tool skips the test, and says so loudly: the
/// reason goes into the test's display name, which dotnet test prints on its
/// "Skipped" line even at default verbosity. With CI set the test always runs,
/// so a missing tool fails it through <see cref="Tools.Require"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropFactAttribute : FactAttribute
{
    /// <param name="needsRoot">The test also needs root (network namespaces, tc).</param>
    public InteropFactAttribute(string tools, bool needsRoot = false, [CallerMemberName] string test = "")
    {
        IReadOnlyList<string> missing = Tools.Missing(tools, needsRoot);
        if (missing.Count > 0)
        {
            Skip = $"SKIPPED INTEROP TEST (CI unset): {string.Join(", ", missing)} not found; with CI=true this test fails";
            DisplayName = $"{test} <<< {Skip} >>>";
        }
    }
}
