using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelCompiler.Emit;

/// <summary>
/// Makes the emitted file read like hand-written code: the generator writes every name fully qualified
/// (<c>global::ModelCompiler.Runtime.PackedConv.Conv2D</c>, <c>global::System.Span&lt;float&gt;</c>: always correct, whatever
/// the user's code declares), and this last step shortens them to file-level aliases
/// (<c>Runtime__.PackedConv.Conv2D</c>, <c>System__.Span&lt;float&gt;</c>) declared once at the top of the file.
/// The alias names contain two consecutive underscores, which the C# specification reserves for the implementation,
/// so no user type, namespace or global using should take them; where the file itself declares or uses the name (a
/// <c>ClassName</c> or namespace option spelled that way), the alias takes one more underscore until it is free.
/// The rewrite works on the syntax tree, not the text: comments, strings and documentation keep what they say.
/// </summary>
internal static class NameAliases
{
    /// <summary>Alias and the namespace it stands for, in the order the using directives are written.</summary>
    private static readonly (string Alias, string Root, string? Child)[] s_aliases =
    {
        ("Runtime__", "ModelCompiler", "Runtime"),
        ("OnnxRuntime__", "ModelCompiler", "OnnxRuntime"),
        ("System__", "System", null),
    };

    /// <summary>
    /// <paramref name="code"/> with the qualified names shortened and the using directives of the aliases it uses
    /// inserted before its first namespace declaration.
    /// </summary>
    public static string Shorten(string code)
    {
        var root = CSharpSyntaxTree.ParseText(code).GetRoot();
        var taken = new HashSet<string>(root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
        var names = s_aliases.Select(a => FreeName(a.Alias, taken)).ToArray();
        var rewriter = new Rewriter(names);
        string shortened = rewriter.Visit(root).ToFullString();
        if (rewriter.Used.Count == 0) return shortened;

        var directives = s_aliases.Select((a, i) => (a, Name: names[i])).Where(x => rewriter.Used.Contains(x.Name))
            .Select(x => $"using {x.Name} = global::{x.a.Root}{(x.a.Child is null ? "" : "." + x.a.Child)};\n");
        string block = "// Aliases for the namespaces this file uses (names with \"__\" are reserved for generated code, so they cannot clash with yours).\n"
            + string.Concat(directives) + "\n";
        // Using directives go before the first namespace declaration (after the header comments and #nullable).
        int line = shortened.IndexOf("\nnamespace ", System.StringComparison.Ordinal);
        return line < 0 ? block + shortened : shortened.Insert(line + 1, block);
    }

    /// <summary><paramref name="name"/>, or with more underscores if the file already has an identifier spelled so.</summary>
    private static string FreeName(string name, HashSet<string> taken)
    {
        while (taken.Contains(name)) name += "_";
        taken.Add(name);
        return name;
    }

    private sealed class Rewriter : CSharpSyntaxRewriter
    {
        private readonly string[] _names;
        public Rewriter(string[] names) => _names = names;

        public HashSet<string> Used { get; } = new();

        /// <summary>The alias for <c>global::Root</c> (<paramref name="child"/> null) or <c>global::Root.Child</c>, or null.</summary>
        private string? AliasFor(ExpressionSyntax left, string? child)
        {
            if (left is not AliasQualifiedNameSyntax { Alias.Identifier.Text: "global", Name: IdentifierNameSyntax rootName }) return null;
            for (int i = 0; i < s_aliases.Length; i++)
                if (rootName.Identifier.Text == s_aliases[i].Root && s_aliases[i].Child == child) { Used.Add(_names[i]); return _names[i]; }
            return null;
        }

        /// <summary><c>global::System</c> (a namespace alias on its own).</summary>
        public override SyntaxNode? VisitAliasQualifiedName(AliasQualifiedNameSyntax node) =>
            AliasFor(node, null) is { } alias ? SyntaxFactory.IdentifierName(alias).WithTriviaFrom(node) : base.VisitAliasQualifiedName(node);

        /// <summary><c>global::ModelCompiler.Runtime</c> where a type is named.</summary>
        public override SyntaxNode? VisitQualifiedName(QualifiedNameSyntax node) =>
            node.Right is IdentifierNameSyntax right && AliasFor(node.Left, right.Identifier.Text) is { } alias
                ? SyntaxFactory.IdentifierName(alias).WithTriviaFrom(node)
                : base.VisitQualifiedName(node);

        /// <summary><c>global::ModelCompiler.Runtime</c> where a member is called.</summary>
        public override SyntaxNode? VisitMemberAccessExpression(MemberAccessExpressionSyntax node) =>
            node.Name is IdentifierNameSyntax name && AliasFor(node.Expression, name.Identifier.Text) is { } alias
                ? SyntaxFactory.IdentifierName(alias).WithTriviaFrom(node)
                : base.VisitMemberAccessExpression(node);
    }
}
