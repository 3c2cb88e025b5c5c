namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>A theory that needs system tools (and maybe root); skips as <see cref="SkipRule"/> says.</summary>
internal sealed class ToolTheoryAttribute(bool needsRoot, params string[] tools)
    : RequiresTheoryAttribute("IMAGING TEST", tools, needsRoot);
