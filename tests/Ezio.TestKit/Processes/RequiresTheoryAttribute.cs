using Xunit;

namespace Ezio.TestKit.Processes;

/// <summary>A theory that needs <c>tools</c> (and maybe root); see <see cref="SkipRule"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public abstract class RequiresTheoryAttribute : TheoryAttribute
{
    protected RequiresTheoryAttribute(string kind, IEnumerable<string> tools, bool needsRoot, string test = "")
    {
        SkipRule.Apply(this, kind, tools, needsRoot, test);
    }
}
