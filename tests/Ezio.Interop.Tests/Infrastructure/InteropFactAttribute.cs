namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// A fact that needs real programs. Outside CI (CI unset) a missing tool skips the
/// test with a loud reason, also written to stderr; with CI set the test always
/// runs, so a missing tool fails it through <see cref="Tools.Require"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropFactAttribute : FactAttribute
{
    public InteropFactAttribute(params string[] tools)
    {
        if (Tools.IsCi)
        {
            return;
        }
        string[] missing = tools.Where(tool => Tools.Find(tool) is null).ToArray();
        if (missing.Length > 0)
        {
            Skip = $"SKIPPED INTEROP TEST: missing {string.Join(", ", missing)} (CI unset; with CI=true this fails)";
            Console.Error.WriteLine("*** " + Skip);
        }
    }
}
