using System.Runtime.CompilerServices;

namespace Ezio.System.Tests.Infrastructure;

/// <summary>
/// A system test: a deployment across network namespaces, which needs root. With CI set it
/// always runs, so missing root or a missing tool fails it. Outside CI, without root, it
/// skips loudly: the reason goes into the display name (printed on dotnet test's Skipped
/// line) and to stderr.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SystemFactAttribute : FactAttribute
{
    public SystemFactAttribute([CallerMemberName] string test = "")
    {
        if (Deployment.IsCi || Deployment.IsRoot)
        {
            return;
        }

        Skip = "SKIPPED SYSTEM TEST (CI unset, not root): network namespaces and loop devices need root; with CI=true this test runs and fails without root";
        DisplayName = $"{test} <<< {Skip} >>>";
        Console.Error.WriteLine("WARNING: " + DisplayName);
    }
}
