r"""The phrase book: every sentence of a derivation document, in English and in Chinese.

A phrase is found by its key and filled with arguments written ``{{name}}``;
math in a phrase is inline ``$…$`` LaTeX (the same in both languages) and
code is a Markdown code span ``` `…` ``` (the LaTeX writer turns it into
``\texttt``). English phrases keep to ASCII outside math and code, so that
``pdflatex`` typesets them without extra packages; the Chinese ones are for
Markdown and for LaTeX compiled with XeLaTeX and ctex. The Chinese wording
follows the source note and the textbooks (卷积核, 卷积核元素, 步长, 膨胀率 for
dilation, 插零 for zero insertion, 误差 δ, 哈达玛积, 二维 for "2-D").
"""

from __future__ import annotations

import re

LANGUAGES: tuple[str, ...] = ("en", "zh")
"""The languages of the prose: ``en`` for every format, ``zh`` for Markdown."""

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

# How each language writes a number of dimensions: "2-D" in English, 二维 in Chinese.
_DIMS = {"zh": {"1": "一", "2": "二", "3": "三"}}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        # -- title and introduction
        "title": "Derivation of a {{dims}}-D convolution",
        "title_separable": "Derivation of a depthwise-separable {{dims}}-D convolution",
        "generated": "Written by symconv with {{command}}: the study note's derivation, worked out for "
                     "this layer.",
        "notation": "Notation as in the note: indices start at 1 and are written together ($x_{11}$ is "
                    "the input at position (1, 1), $k_{11}$ and $y_{11}$ the kernel's and the "
                    "output's); a channel index comes first, after a comma ($x_{2,11}$ is channel "
                    "2). Convolution is what deep-learning libraries compute: a cross-correlation, "
                    "the kernel not flipped.",
        "contents": "Contents",
        # -- 1. sizes
        "sizes_title": "The layer and its sizes",
        "sizes_intro": "A {{dims}}-D convolution with a bias. Input and output channels, groups, "
                       "input size, kernel size, stride, padding and dilation (sizes per spatial "
                       "dimension):",
        "sizes_intro_no_bias": "A {{dims}}-D convolution without a bias. Input and output channels, "
                               "groups, input size, kernel size, stride, padding and dilation (sizes "
                               "per spatial dimension):",
        "output_size": "The output size in each dimension, the formula filled in:",
        "output_size_asymmetric": "The output size in each dimension, the formula filled in "
                                  "($p_{\\mathrm{b}}$ zeros go before the input, $p_{\\mathrm{a}}$ "
                                  "after it):",
        "stage_sizes": "Its output size and effective kernel, filled in:",
        "effective_kernel": "With dilation $d$, a kernel of $k$ taps spans $k'$ input positions (the "
                            "effective kernel):",
        "counts": "Parameters (the weights, and one bias per output channel) and multiply-accumulates "
                  "(MACs) for one sample:",
        "counts_no_bias": "Parameters (the weights) and multiply-accumulates (MACs) for one sample:",
        # -- 2. forward
        "forward_title": "Forward pass",
        "input_matrices": "The input {{X}}, one matrix per channel:",
        "input_matrices_3d": "The input {{X}}, one matrix per channel and depth slice (the label "
                             "$(i,\\cdot,\\cdot)$ marks depth slice $i$):",
        "kernel_matrices": "The kernel {{K}} (the layer's weight), one matrix per output channel $o$ "
                           "and input channel $c$:",
        "kernel_matrices_groups": "The kernel {{K}} (the layer's weight), one matrix per output "
                                  "channel $o$ and input channel $c$ of its group (the second "
                                  "index counts within the group):",
        "input_matrices_1d": "The input {{X}}, one row per channel:",
        "kernel_matrices_1d": "The kernel {{K}} (the layer's weight), one row per output channel $o$ and "
                              "input channel $c$:",
        "kernel_matrices_groups_1d": "The kernel {{K}} (the layer's weight), one row per output channel "
                                     "$o$ and input channel $c$ of its group (the second index counts "
                                     "within the group):",
        "output_matrices_1d": "The output {{Y}}, one row per output channel:",
        "unrolled_columns_one_tap": "Its columns are the input channels ({{channels}} in all): a kernel "
                                    "of one tap reads one entry per channel. {{K_hat}} has one row per "
                                    "input channel and one column per output channel.",
        "step_rot180_1d": "The kernel reversed ($\\mathrm{rot}_{180}$ of a 1-D kernel):",
        "step_kernel_dilated_1d": "The kernel with $d-1$ zeros between neighbouring taps, then reversed "
                                  "($\\mathrm{rot}_{180}$ of a 1-D kernel):",
        "no_bias": "The layer has no bias.",
        "bias_vector": "The bias, one entry per output channel:",
        "output_matrices": "The output {{Y}}, one matrix per output channel:",
        "output_sums": "Each output entry written out as its sum (as in the note, plus the bias):",
        "output_sums_no_bias": "Each output entry written out as its sum, as in the note:",
        # -- 3. unrolled
        "unrolled_title": "The unrolled form {{relation}}",
        "unrolled_rows": "As in the note, the convolution becomes one matrix product. {{X_hat}} has "
                         "one row per output position, {{positions}} in all, in the output's "
                         "row-major order; each row holds the inputs the kernel covers there.",
        "unrolled_columns": "Its columns, one per kernel tap, are channel-major: for each input "
                            "channel in turn ({{channels}} in all) its {{taps}} taps in the kernel's "
                            "row-major order. {{K_hat}} has one row per tap in the same order and "
                            "one column per output channel.",
        "unrolled_groups": "With {{groups}} groups, an output channel sees only the input channels "
                           "of its group ({{group_in}} per group): in its column of {{K_hat}} the "
                           "rows of every other channel are zero. These zero blocks keep "
                           "{{Y_hat}} one product.",
        "unrolled_product": "Their product {{Y_hat}} is the output {{Y}} without the bias, one row "
                            "per output position and one column per output channel:",
        "unrolled_product_by_name": "Their product {{Y_hat}} is the output {{Y}} without the bias, "
                                    "one row per output position and one column per output channel; "
                                    "its entries are the sums written out above, too large for a "
                                    "matrix here: {{entry}}.",
        "unrolled_product_by_name_no_bias": "Their product {{Y_hat}} is the output {{Y}}, one row per "
                                            "output position and one column per output channel; its "
                                            "entries are the sums written out above, too large for a "
                                            "matrix here: {{entry}}.",
        # -- 4. backward
        "chain_title": "Back-propagation: the note's chain",
        "chain_intro": "As in the note: layer $l$ applies the activation $\\sigma$, the next layer "
                       "convolves, the loss is half the squared distance to the target $t$ (the note "
                       "calls it $y$, a name taken here by the outputs), and $\\delta^{l}$ is the "
                       "error of layer $l$:",
        "chain_layer": "The layer derived here is layer $l+1$: its input {{X}} is $a^{l}$ and its "
                       "output {{Y}} is $z^{l+1}$. The symbol $\\odot$ is the entrywise (Hadamard) "
                       "product.",
        "chain_given": "The error of the next layer, $\\delta^{l+1} = \\partial J / \\partial z^{l+1}$, "
                       "has the shape of {{Y}} and is given:",
        "stage_backward_title": "Back-propagation",
        "stage_backward": "The upstream gradient {{given}} has the shape of {{Y}} and is given:",
        "step_pad": "The error {{upstream}} padded by $k'-1$ zeros on every side:",
        "step_dilate": "The error {{upstream}} with $s-1$ zeros between neighbouring entries:",
        "step_rot180": "The kernel turned by 180 degrees:",
        "grad_input_entries_chain": "The full convolution gives $\\partial J / \\partial a^{l}$, the "
                                    "gradient of the input {{X}}, entry by entry:",
        "grad_input_entries": "The full convolution gives the input gradient, entry by entry:",
        "weight_title": "The weight gradient",
        "weight_entries": "Entry by entry:",
        "bias_title": "The bias gradient",
        "proof_title": "Proved for this layer",
        "proof_intro": "Every closed form above was checked exactly, entry by entry, against "
                       "differentiation by SymPy, for this layer:",
        "proof_quantity": "Quantity",
        "proof_entries": "Entries",
        "proof_result": "Result",
        "proof_equal": "equal",
        "proof_differs": "DIFFER",
        "proof_y_hat": "unrolled product against the output without the bias",
        "proof_grad_input": "input gradient",
        "proof_grad_weight": "weight gradient",
        "proof_grad_bias": "bias gradient",
        "proof_grad_depthwise_weight": "depthwise weight gradient",
        "proof_grad_depthwise_bias": "depthwise bias gradient",
        "proof_grad_pointwise_weight": "pointwise weight gradient",
        "proof_grad_pointwise_bias": "pointwise bias gradient",
        "proof_other": "{{name}}",
        "proof_holds": "All of them agree: the formulas of this document are exact for this layer.",
        "proof_fails": "The check FAILED: {{count}} entries differ, the first of them below. The "
                       "formulas above are not right for this layer; please report it.",
        # -- 5. the note's mistakes
        "note_title": "Where the note is wrong",
        "note_product": "The note writes the unrolled form as $\\hat{X} \\,\\mathrm{conv}\\, \\hat{K}$. "
                        "It is a matrix product, $\\hat{Y} = \\hat{X}\\hat{K}$, for every layer: the "
                        "convolution is in how $\\hat{X}$ is built, not in the product.",
        "note_delta": "The note writes the error of layer $l$ with its $\\ast$, a convolution with "
                      "stride 1 and no padding, as {{formula}}.",
        "note_delta_right": "For this layer that is the closed form {{closed}}: its kernel covers one "
                            "position and it has no stride and no padding. With a larger kernel it is "
                            "not.",
        "note_delta_wrong": "For this layer $\\delta^{l+1}$ is {{delta}} and the turned kernel "
                            "{{kernel}}: the note's $\\ast$ gives {{note}}, but $a^{l}$ is {{input}}. "
                            "The error must be zero-inserted by the stride, padded to a full "
                            "convolution by $k'-1$ zeros on every side, and the result cropped, as "
                            "{{closed}} derives. The smallest layers without padding that show it are "
                            "1-D: $n = 2$, $k = 1$, $s = 2$ ($\\delta^{l+1}$ has one entry, $a^{l}$ "
                            "two) and, with stride 1, $n = 2$, $k = 2$ ($\\delta^{l+1}$ has one "
                            "entry, the kernel two).",
        "note_delta_undefined": "For this layer $\\delta^{l+1}$ is {{delta}} and the turned kernel "
                                "{{kernel}}: the note's $\\ast$ is not even defined, the kernel being "
                                "larger than the error, while $a^{l}$ is {{input}}. The error must be "
                                "zero-inserted by the stride, padded to a full convolution by $k'-1$ "
                                "zeros on every side, and the result cropped, as {{closed}} derives.",
        "note_channels": "The note's formula has one channel. Input channel $c$ collects the error "
                         "of every output channel that reads it, a sum over output channels, as "
                         "{{sum}} shows; the smallest layer that shows it has one input and two "
                         "output channels.",
        "note_weight": "The note writes the weight gradient as {{formula}}.",
        "note_weight_right": "For this layer, with stride 1, no padding and no dilation, that is the "
                             "closed form {{closed}}. With a stride, padding or dilation it is not; "
                             "the smallest layer without padding that shows it is 1-D with $n = 2$, "
                             "$k = 1$, $s = 2$, where it gives two entries for a kernel of one.",
        "note_weight_wrong": "For this layer it gives {{note}} entries per channel where the kernel "
                             "has {{kernel}}: the input must be padded, the error zero-inserted by "
                             "the stride, and the correlation taken with the dilation as its stride, "
                             "as {{closed}} derives.",
        "note_weight_undefined": "For this layer it is not even defined (the error is larger than the "
                                 "input) where the kernel has {{kernel}} entries: the input must be "
                                 "padded, the error zero-inserted by the stride, and the correlation "
                                 "taken with the dilation as its stride, as {{closed}} derives.",
        "note_span": "The note gives the receptive field of a kernel of $k$ taps with dilation rate "
                     "$r$ as $k+(r-1)(k+1)$ per dimension. A dilated kernel spans $k+(k-1)(d-1)$, "
                     "as the sizes above use: here {{true}}, where the note's formula gives {{note}}.",
        "note_depthwise": "The note says that the depthwise stage uses a one-dimensional kernel in "
                          "the depth direction. It applies one spatial kernel, {{kernel}}, to each "
                          "channel on its own, with as many groups as channels, as the zero blocks of "
                          "its unrolled kernel show.",
        # -- separable
        "separable_title": "Depthwise-separable in place of one convolution",
        "separable_intro": "The layer replaces one convolution from {{c_in}} to {{c_out}} channels by "
                           "two stages: a depthwise stage that applies one kernel to each input "
                           "channel on its own, then a pointwise $1 \\times 1$ stage that mixes the "
                           "channels. Stage 1 maps $x$ with kernels $k$ to $m$; stage 2 maps $m$ with "
                           "weights $w$ to $y$ (biases $b$ and $\\beta$, if the layer has them).",
        "separable_plain": "The plain convolution it replaces: {{plain}}.",
        "count": "per sample",
        "depthwise": "depthwise",
        "pointwise": "pointwise",
        "separable": "separable",
        "plain": "plain",
        "ratio": "separable / plain",
        "params": "parameters",
        "macs": "MACs",
        "stage_depthwise": "Stage {{number}}: depthwise",
        "stage_depthwise_intro": "One kernel per input channel: the layer with as many groups as "
                                 "input channels and as many outputs as inputs. Input $x$, kernels "
                                 "$k$, output $m$.",
        "stage_pointwise": "Stage {{number}}: pointwise",
        "stage_pointwise_intro": "A $1 \\times 1$ convolution of the depthwise output $m$ with the "
                                 "weights $w$, mixing the channels into the output $y$.",
        "composite_title": "The composite: stage 2 applied to stage 1",
        "composite_intro": "Each output in terms of the input and both stages' weights:",
        "composite_proof": "Each stage's closed forms above, chained (stage 1's upstream gradient "
                           "$\\varepsilon = \\partial J / \\partial m$ is stage 2's input gradient), were "
                           "checked exactly, entry by entry, against differentiation of the composite:",
        # -- elision
        "elided_matrix": "{{hidden}} of the {{total}} entries of {{name}} are left out here: "
                         "{{rows}} of {{all_rows}} rows and {{cols}} of {{all_cols}} columns are "
                         "shown.",
        "elided_gallery": "{{hidden}} of these {{total}} entries are left out here: the dots stand "
                          "for the rows, columns and matrices not shown.",
        "elided_terms": "Sums longer than {{rows}} lines show their first and last lines: {{hidden}} "
                        "terms are left out here (the dots).",
        # -- the derivations (general formulas, numbered)
        "derive_general_intro": "In general form: indices start at 0 here, as in the code of every "
                                "library, and the formulas are written for one spatial dimension; in "
                                "{{dims}}-D every position, size, stride, padding and dilation is one "
                                "per dimension, with a sum and a bracket for each. A bracket "
                                "$[P]$ is 1 when the condition $P$ holds and 0 otherwise (Iverson's "
                                "bracket).",
        "derive_ranges": "A sum written without limits runs over the whole range of its indices: "
                         "{{ranges}}; the brackets keep the terms that count.",
        "derive_groups": "With $G$ groups, output channel $o$ reads the $C_{\\mathrm{in}}/G$ input "
                         "channels from $c_{0}(o) = \\lfloor o/(C_{\\mathrm{out}}/G) \\rfloor \\cdot "
                         "C_{\\mathrm{in}}/G$ on, and $c'$ counts them within the group (it is the "
                         "weight's second index); $G(c)$ are the output channels that read input "
                         "channel $c$.",
        "derive_forward_definition": "By definition, output channel $o$ at position $i$ lays the "
                                     "kernel of $o$ over the input from position $s i - p$ on, its "
                                     "taps $d$ apart:",
        "derive_forward_pad": "The bracket keeps the window inside the input: outside it reads the "
                              "padding's zeros. With the zero-padded input $\\tilde{X} = "
                              "\\mathrm{pad}_{p}(X)$ the bracket goes:",
        "derive_forward_closed": "That is the correlation of $\\tilde{X}$ with $W$, stride $s$ and "
                                 "dilation $d$, plus the bias. Written $A \\ast_{s,d} B$, the "
                                 "correlation of $A$ with the kernel $B$ is $(A \\ast_{s,d} B)_{i} = "
                                 "\\sum_{u} B_{u} A_{s i + d u}$, summed over channels as the layer's "
                                 "groups say; $\\ast$ alone has stride and dilation 1. As operators:",
        "derive_backward_title": "The gradients, derived",
        "derive_backward_intro": "Each gradient is derived from the definition {{definition}} in "
                                 "numbered steps, in the general form above. Here $X$ is the layer's "
                                 "input $a^{l}$, $Y$ its output $z^{l+1}$, $W$ its weight $W^{l+1}$ "
                                 "(the kernel above) and $\\delta = \\partial J/\\partial Y$ the error "
                                 "$\\delta^{l+1}$.",
        "derive_input_title": "The input gradient",
        "derive_input_opening": "$J$ depends on $X$ only through $Y$, so by the chain rule; and, "
                                "differentiating the definition {{definition}}, a term of $Y_{o,i}$ "
                                "depends on $X_{c,j}$ only if it reads that entry (its channel is $c$ "
                                "and its position $j$), with its weight as the derivative:",
        "derive_weight_opening": "By the chain rule over every output $Y_{o',i}$; differentiating the "
                                 "definition {{definition}}, $Y_{o',i}$ depends on $W_{o,c',u}$ only if "
                                 "$o' = o$, through the one term $W_{o,c',u}$ multiplies; and summing "
                                 "that bracket over $o'$ out:",
        "derive_bias_opening": "By the chain rule; by the definition {{definition}}, $Y_{o',i}$ depends "
                               "on $b_{o}$ only if $o' = o$, with derivative 1; and summing the bracket "
                               "out, the bias gradient is the error summed over the positions of its "
                               "channel:",
        "derive_sum_kronecker": "Summing the brackets out: $c' = c - c_{0}(o)$ exists only for the "
                                "output channels $o$ that read channel $c$, so the error of every "
                                "one of them flows back to $c$ (a sum over output channels); and "
                                "$i = (j + p - d u)/s$ is an output position only if $s$ divides "
                                "$j + p - d u$ and it lies in the output:",
        "derive_sum_kronecker_plain": "Summing the bracket out: every output channel $o$ reads channel "
                                      "$c$, so the errors of all of them flow back to $c$ (a sum over "
                                      "output channels); and $i = (j + p - d u)/s$ is an output "
                                      "position only if $s$ divides $j + p - d u$ and it lies in the "
                                      "output:",
        "derive_zero_insertion": "The divisibility bracket is the stride: only every $s$-th input "
                                 "position starts a window. Inserting $s-1$ zeros between the "
                                 "entries of $\\delta$ (zero insertion) makes the sum read the "
                                 "error at $j + p - d u$ directly; the zeros stand where no output "
                                 "is:",
        "derive_dilate_kernel": "Tap $u$ lies $d u$ positions from the window's start: spreading "
                                "the kernel the same way, $d-1$ zeros between taps, the sum runs "
                                "over all $k'$ positions $v = d u$ of the dilated kernel:",
        "derive_flip": "As $v$ grows the error is read further back, at $j + p - v$: the kernel "
                       "runs against the error. Replacing $v$ by $k' - 1 - v$ makes both run "
                       "forward, and the kernel read backwards is the kernel reversed, "
                       "$\\mathrm{rot}_{180}$ (in 2-D: turned by 180 degrees):",
        "derive_full_padding": "The bracket drops the terms where the kernel hangs over an end of the "
                               "error. Padding the error with $k'-1$ zeros on each side lets every "
                               "tap run (a full convolution); only the positions past the last one "
                               "any window reaches keep a bracket:",
        "derive_correlation": "The sum is the correlation, stride 1 and no padding, of the padded "
                              "error with the turned kernel, summed over the output channels of the "
                              "group: the full convolution $F$, read at $j + p$:",
        "derive_closed_input": "Reading $F$ at $j + p$ for $0 \\le j \\le n-1$ drops the positions "
                               "of the padding at both ends (crop): the padding is not an input. "
                               "Past the end of $F$, at the $q$ positions a stride leaves unused "
                               "($q = (n + 2p - k') \\bmod s$ for $p$ zeros on each side), the "
                               "gradient is 0 ($\\mathrm{pad}_{0,q}$). As operators:",
        "derive_flip_3d": "In three dimensions the turn reverses every axis of the kernel: that is "
                          "a reflection through its centre, not a rotation; $\\mathrm{rot}_{180}$ "
                          "names it as in the 2-D case.",
        "derive_weight_title": "The weight gradient",
        "derive_pad_weight": "The bracket is the padding: with the zero-padded input {{padded}},",
        "derive_zero_insertion_weight": "The positions $m = s i$ are every $s$-th: with the "
                                        "zero-inserted error {{zeros}} the sum runs over all $m$ and "
                                        "the zeros drop the others:",
        "derive_closed_weight": "That is the correlation of the padded input with the zero-inserted "
                                "error, taken with stride $d$: the forward pass's dilation becomes "
                                "the stride here, and its stride the zero insertion. It has "
                                "$k + \\lfloor q/d \\rfloor$ positions per dimension and the first "
                                "$k$ are the gradient. As operators:",
        "derive_bias_title": "The bias gradient",
        "derive_closed_bias": "As operators:",
        "derive_checked": "Every numbered equation above (each step, each tensor from its entries and "
                          "from the operators, each closed form) was evaluated exactly on {{count}} "
                          "instances ({{one}} in 1-D, {{two}} in 2-D, {{three}} in 3-D; strides "
                          "{{strides}}, paddings {{paddings}}, dilations {{dilations}}, kernels "
                          "{{kernels}}, groups {{groups}}): all {{entries}} entries agree with the "
                          "definition and with differentiation. A derivation checked on these "
                          "instances, not a proof for all sizes.",
        "derive_check_failed": "The numbered equations of this derivation were evaluated exactly on "
                               "{{count}} instances, and {{failures}} of them differ from the "
                               "definition or from differentiation; the first:",
        "derive_failure": "{{line}}",
        # -- this layer's gradients, after the general derivation
        "stage_forward": "The stage is the convolution {{definition}} with these sizes.",
        "layer_gradients_title": "The gradients of this layer",
        "input_gradient_title": "The input gradient",
        "layer_formula": "With this layer's amounts ({{values}}), the closed form {{closed}} reads:",
        "layer_formula_plain": "For this layer, the closed form {{closed}} reads:",
        "step_rot180_3d": "The kernel reversed along every axis ($\\mathrm{rot}_{180}$; in 3-D a "
                          "reflection through its centre, not a rotation):",
        "step_error_strided": "The error {{upstream}} with $s-1$ zeros between neighbouring entries, "
                              "then padded by $k'-1$ zeros on every side:",
        "step_kernel_dilated": "The kernel with $d-1$ zeros between neighbouring taps, then turned by "
                               "180 degrees:",
        "step_kernel_dilated_3d": "The kernel with $d-1$ zeros between neighbouring taps, then reversed "
                                  "along every axis ($\\mathrm{rot}_{180}$; in 3-D a reflection through "
                                  "its centre, not a rotation):",
        "delta_product": "Multiplied entrywise by $\\sigma'(z^{l})$, this is the error of layer $l$; "
                         "every entry is one product (the sums above are not written again):",
        "bias_layer": "By {{closed}}, for each output channel the sum of {{upstream}} over all its "
                      "positions:",
        "layer_unrolled_title": "The unrolled view",
        "layer_unrolled": "The error laid out like {{Y_hat}} (one row per output position, one column "
                          "per output channel) and, by {{columns}}, the gradient of {{X_hat}}; by "
                          "{{weight}}, {{product}}, read inside the group blocks of {{K_hat}}, is the "
                          "weight gradient above:",
        "layer_unrolled_large": "With $\\hat{\\delta}$ the error laid out like {{Y_hat}}, one row per "
                                "output position and one column per output channel, {{product}} read "
                                "inside the group blocks of {{K_hat}} is the weight gradient above, by "
                                "{{weight}}. The gradient of {{X_hat}} by {{columns}}, {{name}}, has "
                                "{{rows}} rows and {{cols}} columns, too many to show here ({{option}} "
                                "writes it); col2im {{col2im}} folds it into the input gradient above.",
        "layer_col2im": "Each input entry is copied into {{X_hat}} once for every window that reads "
                        "it; col2im {{col2im}} adds the entries of {{name}} at those copies back "
                        "together: {{input}}, read by {{count}} windows, collects {{count}} of "
                        "them. The result is the input gradient above.",
        "representative": "Two of these {{total}} entries are worked out here, the first and one with "
                          "the most terms ({{terms}}); the other {{hidden}} follow the same pattern "
                          "({{all_terms}} terms in all). {{option}} writes every one.",
        "representative_ends": "Two of these {{total}} entries are worked out here, the first and the "
                               "last; the other {{hidden}} follow the same pattern ({{all_terms}} terms "
                               "in all). {{option}} writes every one.",
        "general_title": "The convolution in general form",
        "derive_backward_intro_stage": "Each gradient is derived from the definition {{definition}} in "
                                       "numbered steps, in the general form above; both stages below "
                                       "are instances of it. Here $X$ is a stage's input, $Y$ its "
                                       "output, $W$ its weight and $\\delta = \\partial J/\\partial Y$ "
                                       "its upstream gradient.",
        "derive_unrolled_title": "The unrolled view",
        "derive_unrolled_intro": "The unrolled form $\\hat{Y} = \\hat{X}\\hat{K}$ gives the same "
                                 "gradients as matrix products. With $\\hat{\\delta}$ the error laid "
                                 "out like $\\hat{Y}$ (one row $r$ per output position, one column "
                                 "$o$ per output channel) and $\\hat{Y}_{r,o} = \\sum_{t} \\hat{X}_{r,t} "
                                 "\\hat{K}_{t,o}$, the chain rule gives",
        "derive_unrolled_weight": "Rearranged as the kernel, $\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$ is the "
                                  "weight gradient {{weight}}.",
        "derive_unrolled_weight_groups": "Read inside the group blocks of $\\hat{K}$ (its zeros are no "
                                         "weights) and rearranged as the kernel, "
                                         "$\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$ is the weight gradient "
                                         "{{weight}}.",
        "derive_col2im": "Every entry of $\\hat{X}$ is a copy of an input entry or a zero of the "
                         "padding, so the gradient of an input entry is the sum of the gradients of "
                         "its copies: $\\hat{\\delta}\\hat{K}^{\\mathsf{T}}$ folded back onto the input, "
                         "the overlapping windows summed (col2im):",
        "derive_jacobian": "This is the note's $(\\partial z^{l+1}/\\partial a^{l})^{\\mathsf{T}} "
                           "\\delta^{l+1}$: $Y$ is linear in $X$, and col2im of the product with "
                           "$\\hat{K}^{\\mathsf{T}}$ applies the transpose of its Jacobian to the "
                           "error. It equals the full convolution {{closed}}.",
        "proof_unrolled_weight": "weight gradient as $\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$",
        "proof_col2im": "input gradient as col2im",
        # -- figures (derive --figures)
        "fig_sliding": "The kernel's windows over the padded input, one for each output position:",
        "fig_dilation": "The kernel and the dilated kernel, with its holes between taps:",
        "fig_im2col": "One window of the input and the row of {{X_hat}} it becomes:",
        "fig_conv": "The channels: the input maps, the kernels of each output channel, the output "
                    "maps, coloured by group:",
        "fig_groups": "Which output channel reads which input channel:",
        "fig_backward": "The error zero-inserted and padded, and the turned kernel, as the closed form "
                        "uses them:",
        "fig_separable": "The two stages side by side:",
        "figure_left_out": "The {{kind}} figure is left out here: {{why}}.",
        "elided_total": "In all, {{count}} entries are left out to keep this document readable; "
                        "{{option}} writes every one.",
        "elided_terms_total": "In all, {{count}} terms of long sums are left out; {{option}} writes "
                              "them too.",
    },
    "zh": {
        # -- title and introduction
        "title": "{{dims}}维卷积的推导",
        "title_separable": "{{dims}}维深度可分离卷积的推导",
        "generated": "由 symconv 生成（{{command}}）：把学习笔记中的推导套用到这一层上。",
        "notation": "记号同笔记：下标从 1 开始并连写，$x_{11}$ 是输入在位置 (1, 1) 的元素，$k_{11}$ "
                    "是卷积核的、$y_{11}$ 是输出的；有多个通道时通道下标写在前面、用逗号隔开（"
                    "$x_{2,11}$ 属于第 2 个通道）。卷积指深度学习框架实际计算的互相关：卷积核不翻转。",
        "contents": "目录",
        # -- 1. sizes
        "sizes_title": "卷积层及其尺寸",
        "sizes_intro": "一个带偏置的{{dims}}维卷积。输入与输出通道数、分组数、输入尺寸、卷积核尺寸、"
                       "步长、填充和膨胀率（尺寸按空间维度给出）：",
        "sizes_intro_no_bias": "一个不带偏置的{{dims}}维卷积。输入与输出通道数、分组数、输入尺寸、"
                               "卷积核尺寸、步长、填充和膨胀率（尺寸按空间维度给出）：",
        "output_size": "每个维度的输出尺寸，代入数值：",
        "output_size_asymmetric": "每个维度的输出尺寸，代入数值（输入前补 $p_{\\mathrm{b}}$ 个零，"
                                  "后补 $p_{\\mathrm{a}}$ 个零）：",
        "stage_sizes": "它的输出尺寸和等效卷积核，代入数值：",
        "effective_kernel": "膨胀率为 $d$ 时，$k$ 个元素的卷积核覆盖 $k'$ 个输入位置（等效卷积核）：",
        "counts": "参数量（权重，加上每个输出通道一个偏置）和每个样本的乘加次数（MACs）：",
        "counts_no_bias": "参数量（权重）和每个样本的乘加次数（MACs）：",
        # -- 2. forward
        "forward_title": "前向传播",
        "input_matrices": "输入 {{X}}，每个通道一个矩阵：",
        "input_matrices_3d": "输入 {{X}}，每个通道、每个深度切片一个矩阵（标记 $(i,\\cdot,\\cdot)$ "
                             "表示第 $i$ 个深度切片）：",
        "kernel_matrices": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与输入通道 $c$ 一个矩阵：",
        "kernel_matrices_groups": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与其所在组的每个"
                                  "输入通道 $c$ 一个矩阵（第二个下标在组内计数）：",
        "input_matrices_1d": "输入 {{X}}，每个通道一行：",
        "kernel_matrices_1d": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与输入通道 $c$ 一行：",
        "kernel_matrices_groups_1d": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与其所在组"
                                     "的每个输入通道 $c$ 一行（第二个下标在组内计数）：",
        "output_matrices_1d": "输出 {{Y}}，每个输出通道一行：",
        "unrolled_columns_one_tap": "它的列就是各输入通道（共 {{channels}} 个）：只有一个元素的"
                                    "卷积核在每个通道只读一个元素。{{K_hat}} 每个输入通道一行，"
                                    "每个输出通道一列。",
        "step_rot180_1d": "卷积核反转（一维卷积核的 $\\mathrm{rot}_{180}$）：",
        "step_kernel_dilated_1d": "卷积核的相邻元素之间插入 $d-1$ 个零，再反转"
                                  "（一维卷积核的 $\\mathrm{rot}_{180}$）：",
        "no_bias": "该层没有偏置。",
        "bias_vector": "偏置，每个输出通道一个：",
        "output_matrices": "输出 {{Y}}，每个输出通道一个矩阵：",
        "output_sums": "把每个输出元素写成求和式（同笔记，另加偏置）：",
        "output_sums_no_bias": "把每个输出元素写成求和式，同笔记：",
        # -- 3. unrolled
        "unrolled_title": "展开形式 {{relation}}",
        "unrolled_rows": "和笔记一样，卷积变成一次矩阵乘法。{{X_hat}} 每个输出位置一行，共 "
                         "{{positions}} 行，按输出的行优先顺序排列；每行是卷积核在该位置覆盖的输入。",
        "unrolled_columns": "它的列每个卷积核元素一列，按通道优先：依次对每个输入通道（共 {{channels}} "
                            "个）排出它的 {{taps}} 个卷积核元素，按卷积核的行优先顺序。{{K_hat}} "
                            "每个卷积核元素一行（顺序相同），每个输出通道一列。",
        "unrolled_groups": "分为 {{groups}} 组时，一个输出通道只看到本组的输入通道（每组 "
                           "{{group_in}} 个）：在 {{K_hat}} 中它那一列里，其他通道的行都是零。"
                           "正是这些零块让 {{Y_hat}} 仍是一次乘积。",
        "unrolled_product": "二者的乘积 {{Y_hat}} 就是不含偏置的输出 {{Y}}，每个输出位置一行，"
                            "每个输出通道一列：",
        "unrolled_product_by_name": "二者的乘积 {{Y_hat}} 就是不含偏置的输出 {{Y}}，每个输出位置一行，"
                                    "每个输出通道一列；它的元素就是上面写出的求和式，这里放进矩阵太大：{{entry}}。",
        "unrolled_product_by_name_no_bias": "二者的乘积 {{Y_hat}} 就是输出 {{Y}}，每个输出位置一行，"
                                            "每个输出通道一列；它的元素就是上面写出的求和式，这里放进"
                                            "矩阵太大：{{entry}}。",
        # -- 4. backward
        "chain_title": "反向传播：笔记中的链式法则",
        "chain_intro": "同笔记：第 $l$ 层做激活 $\\sigma$，下一层做卷积，损失是到目标 $t$ "
                       "的平方距离的一半（笔记把目标记作 $y$，这里 $y$ 已用来表示输出），"
                       "$\\delta^{l}$ 是第 $l$ 层的误差：",
        "chain_layer": "这里推导的是第 $l+1$ 层：它的输入 {{X}} 就是 $a^{l}$，输出 {{Y}} 就是 "
                       "$z^{l+1}$。$\\odot$ 是逐元素（哈达玛）积。",
        "chain_given": "下一层的误差 $\\delta^{l+1} = \\partial J / \\partial z^{l+1}$ 与 {{Y}} "
                       "形状相同，是已知的：",
        "stage_backward_title": "反向传播",
        "stage_backward": "上游梯度 {{given}} 与 {{Y}} 形状相同，是已知的：",
        "step_pad": "误差 {{upstream}} 每一边补 $k'-1$ 个零：",
        "step_dilate": "误差 {{upstream}} 的相邻元素之间插入 $s-1$ 个零：",
        "step_rot180": "卷积核旋转 180 度：",
        "grad_input_entries_chain": "完全卷积给出 $\\partial J / \\partial a^{l}$，即输入 {{X}} "
                                    "的梯度，逐元素写出：",
        "grad_input_entries": "完全卷积给出输入的梯度，逐元素写出：",
        "weight_title": "权重的梯度",
        "weight_entries": "逐元素写出：",
        "bias_title": "偏置的梯度",
        "proof_title": "对这一层的证明",
        "proof_intro": "上面每个闭式公式都已用 SymPy 对这一层逐元素、精确地与求导结果核对：",
        "proof_quantity": "量",
        "proof_entries": "元素个数",
        "proof_result": "结果",
        "proof_equal": "相等",
        "proof_differs": "不相等",
        "proof_y_hat": "展开后的乘积与不含偏置的输出",
        "proof_grad_input": "输入的梯度",
        "proof_grad_weight": "权重的梯度",
        "proof_grad_bias": "偏置的梯度",
        "proof_grad_depthwise_weight": "逐通道卷积权重的梯度",
        "proof_grad_depthwise_bias": "逐通道卷积偏置的梯度",
        "proof_grad_pointwise_weight": "逐点卷积权重的梯度",
        "proof_grad_pointwise_bias": "逐点卷积偏置的梯度",
        "proof_other": "{{name}}",
        "proof_holds": "全部相等：本文的公式对这一层是精确成立的。",
        "proof_fails": "核对失败：有 {{count}} 个元素不相等，前几个列在下面。上面的公式对这一层不成立，"
                       "请报告这个问题。",
        # -- 5. the note's mistakes
        "note_title": "笔记中的错误",
        "note_product": "笔记把展开形式写成 $\\hat{X} \\,\\mathrm{conv}\\, \\hat{K}$。对每一层它都是矩阵"
                        "乘积 $\\hat{Y} = \\hat{X}\\hat{K}$：卷积体现在 $\\hat{X}$ 的构造里，而不在乘法里。",
        "note_delta": "笔记用它的 $\\ast$（步长 1、不补零的卷积）把第 $l$ 层的误差写成 {{formula}}。",
        "note_delta_right": "对这一层它就是闭式公式 {{closed}}：卷积核只覆盖一个位置，也没有步长和填充。"
                            "卷积核更大时就不对了。",
        "note_delta_wrong": "这一层的 $\\delta^{l+1}$ 是 {{delta}}，旋转后的卷积核是 {{kernel}}：笔记的 "
                            "$\\ast$ 得到 {{note}}，而 $a^{l}$ 是 {{input}}。误差必须先按步长插零，每一边"
                            "补 $k'-1$ 个零做完全卷积，结果再裁剪，正如 {{closed}} 推出的。不补零时最小的"
                            "反例是一维的：$n = 2$、$k = 1$、$s = 2$（$\\delta^{l+1}$ 只有一个元素，$a^{l}$ "
                            "有两个）；步长为 1 时是 $n = 2$、$k = 2$（$\\delta^{l+1}$ 只有一个元素，"
                            "卷积核有两个）。",
        "note_delta_undefined": "这一层的 $\\delta^{l+1}$ 是 {{delta}}，旋转后的卷积核是 {{kernel}}："
                                "笔记的 $\\ast$ 根本没有定义（卷积核比误差大），而 $a^{l}$ 是 {{input}}。"
                                "误差必须先按步长插零，每一边补 $k'-1$ 个零做完全卷积，结果再裁剪，"
                                "正如 {{closed}} 推出的。",
        "note_channels": "笔记的公式只有一个通道。输入通道 $c$ 汇集所有读取它的输出通道的误差，即对输出"
                         "通道求和，见 {{sum}}；最小的反例是一个输入通道、两个输出通道。",
        "note_weight": "笔记把权重的梯度写成 {{formula}}。",
        "note_weight_right": "这一层步长为 1、不补零、不膨胀，这正是闭式公式 {{closed}}。有步长、填充或"
                             "膨胀时就不对了；不补零时最小的反例是一维、$n = 2$、$k = 1$、$s = 2$，"
                             "它给出两个元素，而卷积核只有一个。",
        "note_weight_wrong": "对这一层它每个通道给出 {{note}} 个元素，而卷积核是 {{kernel}}：输入要补零，"
                             "误差要按步长插零，互相关要以膨胀率为步长，正如 {{closed}} 推出的。",
        "note_weight_undefined": "对这一层它根本没有定义（误差比输入大），而卷积核有 {{kernel}} 个元素："
                                 "输入要补零，误差要按步长插零，互相关要以膨胀率为步长，正如 {{closed}} "
                                 "推出的。",
        "note_span": "笔记说 $k$ 个卷积核元素、膨胀率为 $r$ 的卷积核，每个维度的感受野是 $k+(r-1)(k+1)$。"
                     "膨胀后的卷积核实际覆盖 $k+(k-1)(d-1)$，上面的尺寸用的就是它：这里 {{true}}，"
                     "而笔记的公式给出 {{note}}。",
        "note_depthwise": "笔记说逐通道卷积在深度方向上使用一维卷积核。实际上它对每个通道单独使用一个"
                          "空间卷积核 {{kernel}}，分组数等于通道数，从展开后卷积核的零块可以看出来。",
        # -- separable
        "separable_title": "用深度可分离卷积代替一个卷积",
        "separable_intro": "这一层把一个从 {{c_in}} 个通道到 {{c_out}} 个通道的卷积换成两步："
                           "逐通道卷积（depthwise）对每个输入通道单独使用一个卷积核，然后逐点卷积"
                           "（pointwise，$1 \\times 1$）混合各通道。第 1 步用卷积核 $k$ 把 $x$ "
                           "变成 $m$；第 2 步用权重 $w$ 把 $m$ 变成 $y$（如有偏置，分别为 $b$ 和 "
                           "$\\beta$）。",
        "separable_plain": "被代替的普通卷积：{{plain}}。",
        "count": "每个样本",
        "depthwise": "逐通道",
        "pointwise": "逐点",
        "separable": "可分离",
        "plain": "普通",
        "ratio": "可分离 / 普通",
        "params": "参数量",
        "macs": "乘加次数",
        "stage_depthwise": "第 {{number}} 步：逐通道卷积",
        "stage_depthwise_intro": "每个输入通道一个卷积核：分组数等于输入通道数，输出通道数等于输入"
                                 "通道数。输入 $x$，卷积核 $k$，输出 $m$。",
        "stage_pointwise": "第 {{number}} 步：逐点卷积",
        "stage_pointwise_intro": "对逐通道卷积的输出 $m$ 做 $1 \\times 1$ 卷积，权重为 $w$，"
                                 "把各通道混合成输出 $y$。",
        "composite_title": "复合：第 2 步作用在第 1 步上",
        "composite_intro": "每个输出用输入和两步的权重表示：",
        "composite_proof": "把两步的闭式公式串起来（第 1 步的上游梯度 $\\varepsilon = \\partial J / "
                           "\\partial m$ 就是第 2 步的输入梯度），已与对复合函数的求导精确核对：",
        # -- elision
        "elided_matrix": "{{name}} 的 {{total}} 个元素中这里省略了 {{hidden}} 个：显示了 "
                         "{{all_rows}} 行中的 {{rows}} 行、{{all_cols}} 列中的 {{cols}} 列。",
        "elided_gallery": "这 {{total}} 个元素中这里省略了 {{hidden}} 个：省略号代表没有显示的行、"
                          "列和矩阵。",
        "elided_terms": "超过 {{rows}} 行的求和式只显示开头和结尾的几行：这里省略了 {{hidden}} 项"
                        "（省略号处）。",
        # -- 推导（一般公式，带编号）
        "derive_general_intro": "下面是一般形式：这里下标从 0 开始，和各个深度学习库的代码一致；公式按一个"
                                "空间维度写出，{{dims}}维时每个位置、尺寸、步长、填充和膨胀率在每一维各有"
                                "一个，每一维各有一个求和与一个方括号。方括号 $[P]$ 在条件 $P$ 成立时为 "
                                "1，否则为 0（艾弗森括号）。",
        "derive_ranges": "不写上下限的求和遍历其下标的全部范围：{{ranges}}；方括号保留起作用的项。",
        "derive_groups": "分为 $G$ 组时，输出通道 $o$ 读取从 $c_{0}(o) = \\lfloor o/(C_{\\mathrm{out}}/G) "
                         "\\rfloor \\cdot C_{\\mathrm{in}}/G$ 开始的 $C_{\\mathrm{in}}/G$ 个输入通道，"
                         "$c'$ 是组内的通道序号（即权重的第二个下标）；$G(c)$ 是读取输入通道 $c$ 的"
                         "所有输出通道。",
        "derive_forward_definition": "按定义，输出通道 $o$ 在位置 $i$ 的值，是把 $o$ 的卷积核从输入位置 "
                                     "$s i - p$ 起铺在输入上，卷积核元素之间相隔 $d$：",
        "derive_forward_pad": "方括号让窗口留在输入之内：窗口之外读到的是填充的零。用补零后的输入 "
                              "$\\tilde{X} = \\mathrm{pad}_{p}(X)$，方括号就不需要了：",
        "derive_forward_closed": "这正是 $\\tilde{X}$ 与 $W$ 的互相关（步长 $s$，膨胀率 $d$）再加上偏置。"
                                 "记作 $A \\ast_{s,d} B$：$A$ 与卷积核 $B$ 的互相关为 $(A \\ast_{s,d} B)_{i} "
                                 "= \\sum_{u} B_{u} A_{s i + d u}$，按该层的分组对通道求和；"
                                 "$\\ast$ 单独出现时步长和膨胀率都是 1。写成算子：",
        "derive_backward_title": "梯度的推导",
        "derive_backward_intro": "下面从定义 {{definition}} 出发，按上面的一般形式逐步推导每个梯度，"
                                 "每一步都有编号。这里 $X$ 是这一层的输入 $a^{l}$，$Y$ 是它的输出 "
                                 "$z^{l+1}$，$W$ 是它的权重 $W^{l+1}$（即上面的卷积核），"
                                 "$\\delta = \\partial J/\\partial Y$ 是误差 $\\delta^{l+1}$。",
        "derive_input_title": "输入的梯度",
        "derive_input_opening": "$J$ 只通过 $Y$ 依赖 $X$，由链式法则；再对定义 {{definition}} 求导："
                                "$Y_{o,i}$ 的一项只有读取了 $X_{c,j}$（通道为 $c$、位置为 $j$）才依赖它，"
                                "导数就是该项的权重：",
        "derive_weight_opening": "由链式法则，对所有输出 $Y_{o',i}$ 求和；对定义 {{definition}} 求导，"
                                 "只有 $o' = o$ 时 $Y_{o',i}$ 才依赖 $W_{o,c',u}$，且只通过它所乘的那一项；"
                                 "再对 $o'$ 求和消去方括号：",
        "derive_bias_opening": "由链式法则；由定义 {{definition}}，只有 $o' = o$ 时 $Y_{o',i}$ 才依赖 "
                               "$b_{o}$，导数为 1；再对方括号求和消去，偏置的梯度就是该通道所有位置上"
                               "误差之和：",
        "derive_sum_kronecker": "把方括号求和消去：只有读取通道 $c$ 的输出通道 $o$ 才有 $c' = c - "
                                "c_{0}(o)$，所以每个这样的输出通道的误差都传回 $c$（对输出通道求和）；"
                                "只有 $s$ 整除 $j + p - d u$ 且位置落在输出之内时，$i = (j + p - d u)/s$ "
                                "才是一个输出位置：",
        "derive_sum_kronecker_plain": "把方括号求和消去：每个输出通道 $o$ 都读取通道 $c$，所以它们的误差"
                                      "全都传回 $c$（对输出通道求和）；只有 $s$ 整除 $j + p - d u$ 且位置"
                                      "落在输出之内时，$i = (j + p - d u)/s$ 才是一个输出位置：",
        "derive_zero_insertion": "整除的方括号来自步长：只有每隔 $s$ 个输入位置才有一个窗口的起点。在 "
                                 "$\\delta$ 的元素之间插入 $s-1$ 个零（插零），求和就直接在 $j + p - d u$ "
                                 "处读误差；零所在的位置没有输出：",
        "derive_dilate_kernel": "第 $u$ 个卷积核元素离窗口起点 $d u$ 个位置：把卷积核同样展开，卷积核元素"
                                "之间插入 $d-1$ 个零（膨胀），求和就遍历膨胀后卷积核的全部 $k'$ 个位置 "
                                "$v = d u$：",
        "derive_flip": "$v$ 增大时，误差在 $j + p - v$ 处被读取，越来越靠前：卷积核与误差的方向相反。"
                       "把 $v$ 换成 $k' - 1 - v$，两者方向一致，而倒着读的卷积核就是旋转 180 度的卷积核：",
        "derive_full_padding": "方括号去掉了卷积核伸出误差两端的项。误差每一边补 $k'-1$ 个零，每个卷积核"
                               "元素都能取到（完全卷积）；只有超出任何窗口所能到达的最后位置时才保留方括号：",
        "derive_correlation": "这个和就是补零后的误差与旋转后的卷积核的互相关（步长 1，不补零），对组内的"
                              "输出通道求和：即完全卷积 $F$ 在 $j + p$ 处的值：",
        "derive_closed_input": "对 $0 \\le j \\le n-1$ 在 $j + p$ 处读取 $F$，就去掉了两端属于填充的"
                               "位置（裁剪）：填充不是输入。在 $F$ 的末尾之后，步长留下未用到的 $q$ 个"
                               "位置（两边各补 $p$ 个零时 $q = (n + 2p - k') \\bmod s$）梯度为 0"
                               "（$\\mathrm{pad}_{0,q}$）。写成算子：",
        "derive_flip_3d": "三维时，旋转把卷积核的每个轴都反过来：这是关于中心的反射，不是旋转；"
                          "这里沿用二维的名称 $\\mathrm{rot}_{180}$。",
        "derive_weight_title": "权重的梯度",
        "derive_pad_weight": "方括号就是填充：用补零后的输入 {{padded}}，",
        "derive_zero_insertion_weight": "位置 $m = s i$ 每隔 $s$ 个出现一次：用插零后的误差 {{zeros}}，"
                                        "求和遍历所有 $m$，零把其余的项去掉：",
        "derive_closed_weight": "这就是补零后的输入与插零后的误差以步长 $d$ 做的互相关：前向的膨胀率在这里"
                                "变成了步长，前向的步长变成了插零。每一维有 $k + \\lfloor q/d \\rfloor$ "
                                "个位置，前 $k$ 个就是梯度。写成算子：",
        "derive_bias_title": "偏置的梯度",
        "derive_closed_bias": "写成算子：",
        "derive_checked": "这个推导中每个带编号的等式（每一步、每个中间张量按其元素和按算子各算一次、每个"
                          "闭式公式）都在 {{count}} 个实例上逐元素精确计算过（一维 {{one}} 个，二维 "
                          "{{two}} 个，三维 {{three}} 个；步长 {{strides}}，填充 {{paddings}}，膨胀率 "
                          "{{dilations}}，卷积核 {{kernels}}，分组 {{groups}}），与定义和求导结果一致："
                          "一共 {{entries}} 个元素。这是在这些实例上核对过的推导，不是对所有尺寸的证明。",
        "derive_check_failed": "这个推导中带编号的等式在 {{count}} 个实例上精确计算过，其中 {{failures}} "
                               "处与定义或求导结果不一致；第一处：",
        "derive_failure": "{{line}}",
        # -- 这一层的梯度（在一般推导之后）
        "stage_forward": "这一步就是尺寸如上的卷积 {{definition}}。",
        "layer_gradients_title": "这一层的梯度",
        "input_gradient_title": "输入的梯度",
        "layer_formula": "代入这一层的数值（{{values}}），闭式公式 {{closed}} 为：",
        "layer_formula_plain": "对这一层，闭式公式 {{closed}} 为：",
        "step_rot180_3d": "卷积核沿每个轴反转（$\\mathrm{rot}_{180}$；三维时是关于中心的反射，不是旋转）：",
        "step_error_strided": "误差 {{upstream}} 的相邻元素之间插入 $s-1$ 个零，再在每一边补 $k'-1$ 个零：",
        "step_kernel_dilated": "卷积核的相邻元素之间插入 $d-1$ 个零，再旋转 180 度：",
        "step_kernel_dilated_3d": "卷积核的相邻元素之间插入 $d-1$ 个零，再沿每个轴反转"
                                  "（$\\mathrm{rot}_{180}$；三维时是关于中心的反射，不是旋转）：",
        "delta_product": "再逐元素乘以 $\\sigma'(z^{l})$，就是第 $l$ 层的误差；每个元素只是一个乘积"
                         "（上面的求和式不再重写）：",
        "bias_layer": "由 {{closed}}，对每个输出通道，把 {{upstream}} 在它所有位置上的元素求和：",
        "layer_unrolled_title": "展开形式",
        "layer_unrolled": "把误差排成 {{Y_hat}} 的样子（每个输出位置一行，每个输出通道一列），以及由 "
                          "{{columns}} 得到的 {{X_hat}} 的梯度；由 {{weight}}，{{product}} 在 {{K_hat}} "
                          "的组块之内读出，就是上面权重的梯度：",
        "layer_unrolled_large": "把误差排成 {{Y_hat}} 的样子记作 $\\hat{\\delta}$（每个输出位置一行，每个"
                                "输出通道一列），由 {{weight}}，{{product}} 在 {{K_hat}} 的组块之内读出，就是"
                                "上面权重的梯度。由 {{columns}} 得到的 {{X_hat}} 的梯度 {{name}} 有 {{rows}} "
                                "行、{{cols}} 列，太大，这里不列出（用 {{option}} 可以写出）；"
                                "col2im {{col2im}} 把它折回为上面输入的梯度。",
        "layer_col2im": "每个输入元素在 {{X_hat}} 中为每个读取它的窗口各复制一次；col2im {{col2im}} "
                        "把 {{name}} 中这些副本位置的元素加回到一起：{{input}} 被 {{count}} 个窗口读取，"
                        "就汇集其中 {{count}} 个元素。结果就是上面输入的梯度。",
        "representative": "这 {{total}} 个元素中这里算出两个：第一个和项数最多的一个（{{terms}} 项）；"
                          "其余 {{hidden}} 个同理（一共 {{all_terms}} 项）。用 {{option}} 可以全部写出。",
        "representative_ends": "这 {{total}} 个元素中这里算出两个：第一个和最后一个；其余 {{hidden}} 个同理"
                               "（一共 {{all_terms}} 项）。用 {{option}} 可以全部写出。",
        "general_title": "卷积的一般形式",
        "derive_backward_intro_stage": "下面从定义 {{definition}} 出发，按上面的一般形式逐步推导每个梯度，"
                                       "每一步都有编号；下面的两步都是它的实例。这里 $X$ 是一步的输入，"
                                       "$Y$ 是它的输出，$W$ 是它的权重，$\\delta = \\partial J/\\partial Y$ "
                                       "是它的上游梯度。",
        "derive_unrolled_title": "展开形式",
        "derive_unrolled_intro": "展开形式 $\\hat{Y} = \\hat{X}\\hat{K}$ 用矩阵乘积给出同样的梯度。"
                                 "把误差排成 $\\hat{Y}$ 的样子记作 $\\hat{\\delta}$（每个输出位置一行 $r$，"
                                 "每个输出通道一列 $o$），由 $\\hat{Y}_{r,o} = \\sum_{t} \\hat{X}_{r,t} "
                                 "\\hat{K}_{t,o}$ 和链式法则得",
        "derive_unrolled_weight": "按卷积核重新排列，$\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$ 就是权重的梯度 "
                                  "{{weight}}。",
        "derive_unrolled_weight_groups": "在 $\\hat{K}$ 的组块之内读出（它的零不是权重）并按卷积核重新排列，"
                                         "$\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$ 就是权重的梯度 {{weight}}。",
        "derive_col2im": "$\\hat{X}$ 的每个元素都是某个输入元素的副本或填充的零，所以一个输入元素的梯度"
                         "就是它所有副本的梯度之和：把 $\\hat{\\delta}\\hat{K}^{\\mathsf{T}}$ 折回到输入上，"
                         "重叠的窗口相加（col2im）：",
        "derive_jacobian": "这就是笔记中的 $(\\partial z^{l+1}/\\partial a^{l})^{\\mathsf{T}} "
                           "\\delta^{l+1}$：$Y$ 对 $X$ 是线性的，与 $\\hat{K}^{\\mathsf{T}}$ 相乘再做 "
                           "col2im，就是把它的雅可比矩阵的转置作用在误差上。它等于完全卷积 {{closed}}。",
        "proof_unrolled_weight": "用 $\\hat{X}^{\\mathsf{T}}\\hat{\\delta}$ 算的权重梯度",
        "proof_col2im": "用 col2im 算的输入梯度",
        # -- 图（derive --figures）
        "fig_sliding": "卷积核在补零后的输入上的各个窗口，每个输出位置一个：",
        "fig_dilation": "卷积核与膨胀后的卷积核，卷积核元素之间是空洞：",
        "fig_im2col": "输入的一个窗口，以及它在 {{X_hat}} 中对应的一行：",
        "fig_conv": "各通道：输入特征图、每个输出通道的卷积核、输出特征图，按分组着色：",
        "fig_groups": "哪个输出通道读取哪个输入通道：",
        "fig_backward": "插零、补零后的误差和旋转后的卷积核，闭式公式就是这样使用它们的：",
        "fig_separable": "两步并排：",
        "figure_left_out": "这里省略了 {{kind}} 图：{{why}}。",
        "elided_total": "为了便于阅读，本文一共省略了 {{count}} 个元素；用 {{option}} 可以全部写出。",
        "elided_terms_total": "长求和式中一共省略了 {{count}} 项；用 {{option}} 也可以全部写出。",
    },
}


def phrase(lang: str, key: str, args: dict[str, str]) -> str:
    """The phrase ``key`` in ``lang`` with its ``{{name}}`` placeholders filled from ``args``.

    Example:
        >>> phrase("en", "stage_pointwise", {"number": "2"})
        'Stage 2: pointwise'
        >>> phrase("en", "title", {"dims": "2"}), phrase("zh", "title", {"dims": "2"})
        ('Derivation of a 2-D convolution', '二维卷积的推导')
    """
    template = PHRASES[lang][key]

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if name not in args:
            raise KeyError(f"phrase {key!r} needs the argument {name!r}")
        if name == "dims":
            return _DIMS.get(lang, {}).get(args[name], args[name])
        return args[name]

    return _PLACEHOLDER.sub(fill, template)


def placeholders(template: str) -> set[str]:
    """The argument names a phrase uses."""
    return set(_PLACEHOLDER.findall(template))
