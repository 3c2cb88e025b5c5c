using Xunit;

namespace Ezio.TestKit.Processes;

/// <summary>
/// The one skip rule for tests that need real programs or root: outside CI (CI unset) a missing
/// tool or missing root skips the test, loudly (the reason goes into the display name, which
/// `dotnet test` prints on its Skipped line, and to stderr); with CI set the test always runs,
/// so a missing tool fails it. The projects' attributes name their kind of test and derive
/// from <see cref="RequiresFactAttribute"/> or <see cref="RequiresTheoryAttribute"/>.
/// </summary>
public static class SkipRule
{
    /// <summary>Why a test of <paramref name="kind"/> cannot run here, or null when it can.</summary>
    public static string? Reason(string kind, IEnumerable<string> tools, bool needsRoot)
    {
        IReadOnlyList<string> missing = Tools.Missing(tools, needsRoot);
        if (missing.Count == 0)
        {
            return null;
        }

        string reason = $"SKIPPED {kind} (CI unset): needs {string.Join(", ", missing)}; with CI=true this test runs and fails without them";
        Console.Error.WriteLine("WARNING: " + reason);
        return reason;
    }

    /// <summary>Marks <paramref name="attribute"/> skipped, with the reason in its display name when the test's name is known, when the test cannot run here.</summary>
    internal static void Apply(FactAttribute attribute, string kind, IEnumerable<string> tools, bool needsRoot, string test)
    {
        if (Reason(kind, tools, needsRoot) is { } reason)
        {
            attribute.Skip = reason;
            if (test.Length > 0)
            {
                attribute.DisplayName = $"{test} <<< {reason} >>>";
            }
        }
    }
}
