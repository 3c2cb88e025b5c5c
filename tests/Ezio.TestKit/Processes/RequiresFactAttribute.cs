using Xunit;

namespace Ezio.TestKit.Processes;

/// <summary>A fact that needs <c>tools</c> (and maybe root); see <see cref="SkipRule"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public abstract class RequiresFactAttribute : FactAttribute
{
    /// <param name="test">The test's name (CallerMemberName in the derived attribute), for the display name.</param>
    protected RequiresFactAttribute(string kind, IEnumerable<string> tools, bool needsRoot, string test = "")
    {
        SkipRule.Apply(this, kind, tools, needsRoot, test);
    }
}
