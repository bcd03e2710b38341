r"""The phrase book: every sentence of a derivation document, in English and in Chinese.

A phrase is found by its key and filled with arguments written ``{{name}}``;
math in a phrase is inline ``$…$`` LaTeX (the same in both languages) and
code is a Markdown code span ``` `…` ``` (the LaTeX writer turns it into
``\texttt``). English phrases keep to ASCII outside math and code, so that
``pdflatex`` typesets them without extra packages; the Chinese ones are for
Markdown only. The Chinese wording follows the source note (卷积核, 步长,
膨胀率, 误差 δ, 哈达玛积).
"""

from __future__ import annotations

import re

LANGUAGES: tuple[str, ...] = ("en", "zh")
"""The languages of the prose: ``en`` for every format, ``zh`` for Markdown."""

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        # -- title and introduction
        "title": "Derivation of a {{dims}}-D convolution",
        "title_separable": "Derivation of a depthwise-separable {{dims}}-D convolution",
        "generated": "Written by symconv with {{command}}: the study note's derivation, worked out for "
                     "this layer.",
        "notation": "Notation as in the note: indices start at 1 and are written together, so $x_{11}$ "
                    "is the input's entry at position (1, 1), $k_{11}$ the kernel's and $y_{11}$ the "
                    "output's; where there is more than one channel, channel indices come first, "
                    "separated by commas ($x_{2,11}$ is channel 2). Convolution means what "
                    "deep-learning libraries compute: a cross-correlation, the kernel is not flipped.",
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
        "effective_kernel": "With dilation $d$, a kernel of $k$ taps spans $k'$ input positions (the "
                            "effective kernel):",
        "counts": "Parameters (the weights, and one bias per output channel) and multiply-accumulates "
                  "(MACs) for one sample:",
        "counts_no_bias": "Parameters (the weights) and multiply-accumulates (MACs) for one sample:",
        # -- 2. forward
        "forward_title": "Forward pass",
        "forward_definition": "Output channel $o$ at position $i$ (per dimension, from 1) is the "
                              "kernel of $o$ laid over the zero-padded input $\\tilde{x}$ with stride "
                              "$s$ and dilation $d$:",
        "forward_where": "Here $u$ runs over the kernel taps, $c$ over the input channels of the "
                         "group of $o$, and $c'$ is the input channel that $c$ stands for.",
        "input_matrices": "The input {{X}}, one matrix per channel:",
        "input_matrices_3d": "The input {{X}}, one matrix per channel and depth slice (the label "
                             "$(i,\\cdot,\\cdot)$ marks depth slice $i$):",
        "kernel_matrices": "The kernel {{K}} (the layer's weight), one matrix per output channel $o$ "
                           "and input channel $c$:",
        "kernel_matrices_groups": "The kernel {{K}} (the layer's weight), one matrix per output "
                                  "channel $o$ and input channel $c$ of its group (the second "
                                  "index counts within the group):",
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
                                    "one row per output position and one column per output channel. "
                                    "Its entries are the sums written out above, too wide for a "
                                    "matrix; by name:",
        "unrolled_product_by_name_no_bias": "Their product {{Y_hat}} is the output {{Y}}, one row per "
                                            "output position and one column per output channel. Its "
                                            "entries are the sums written out above, too wide for a "
                                            "matrix; by name:",
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
        "delta_title": "The error of layer $l$",
        "delta_note": "The note writes the error of layer $l$ as",
        "stage_backward_title": "Back-propagation",
        "stage_backward": "The upstream gradient {{given}} has the shape of {{Y}} and is given:",
        "full_convolution": "The convolution that carries the error back must be a full one: "
                            "{{upstream}} padded by $k'-1$ zeros on every side, $k'$ being the span "
                            "of the dilated kernel. The note's $\\ast$, stride 1 without padding, "
                            "would give the wrong shape.",
        "stride_zeros": "With a stride $s > 1$, {{upstream}} is first dilated by the stride: $s-1$ "
                        "zeros go between neighbouring entries, as neighbouring outputs lie $s$ "
                        "input positions apart.",
        "dilated_kernel": "With a dilation $d > 1$, the kernel is dilated the same way, $d-1$ zeros "
                          "between taps, before it is turned by 180 degrees.",
        "channel_sum": "Input channel $c$ collects the errors of every output channel $o$ that reads "
                       "it: the output channels of its group $G(c)$.",
        "fit_stride": "When the stride leaves the last $u = (n + p_{\\mathrm{b}} + p_{\\mathrm{a}} - k') "
                      "\\bmod s$ rows or columns of the padded input unused, the result is extended "
                      "by $u$ zeros at the end ($\\mathrm{pad}_{0,u}$): those inputs get no gradient.",
        "crop_padding": "The padding is cut off the result again (crop): its zeros are not inputs.",
        "formula_here": "As operators, for this layer ({{values}}):",
        "formula_plain": "As operators, for this layer:",
        "steps": "Step by step, the matrices of this layer.",
        "step_dilate": "The error {{upstream}} with $s-1$ zeros between neighbouring entries:",
        "step_pad": "Padded by $k'-1$ zeros on every side:",
        "step_dilate_kernel": "The kernel with $d-1$ zeros between neighbouring taps:",
        "step_rot180": "The kernel turned by 180 degrees:",
        "grad_input_entries_chain": "The full convolution gives $\\partial J / \\partial a^{l}$, the "
                                    "gradient of the input {{X}}, entry by entry:",
        "grad_input_entries": "The full convolution gives the input gradient, entry by entry:",
        "delta_entries": "Multiplied entrywise by $\\sigma'(z^{l})$, this is $\\delta^{l}$:",
        "weight_title": "The weight gradient",
        "weight_note": "The note writes the weight gradient as",
        "weight_here": "For the layer here (layer $l+1$, with input $a^{l}$ and error "
                       "$\\delta^{l+1}$) it reads:",
        "weight_stage": "The weight gradient is the padded input correlated with the upstream "
                        "gradient:",
        "weight_channel": "Here $c'$ is the input channel that weight channel $c$ of output channel "
                          "$o$ reads.",
        "weight_roles": "Stride and dilation swap roles: the stride dilates the error, and the "
                        "dilation becomes the stride of this correlation. Where the stride leaves "
                        "$u$ positions unused, the last $\\lfloor u/d \\rfloor$ are cropped off, "
                        "which leaves the kernel size $k$.",
        "weight_entries": "Entry by entry:",
        "bias_title": "The bias gradient",
        "bias_note": "The note writes the bias gradient as",
        "bias_here": "that is, for each output channel the sum of {{upstream}} over all its "
                     "positions:",
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
        "note_full": "The note defines $\\ast$ as a convolution with stride 1 and no padding, and "
                     "then writes $\\delta^{l} = \\delta^{l+1} \\ast \\mathrm{rot}_{180}(W^{l+1}) "
                     "\\odot \\sigma'(z^{l})$. With that $\\ast$ the shapes do not match: the error "
                     "must be padded to a full convolution, by $k'-1$ zeros on every side.",
        "note_stride": "With a stride $s > 1$ the note's formula also misses that the error must be "
                       "dilated by the stride first (zero insertion).",
        "note_dilated_kernel": "With a dilation $d > 1$ the kernel in that formula is the dilated "
                               "kernel.",
        "note_span": "The note gives the receptive field of a kernel of $k$ taps with dilation rate "
                     "$r$ as $k+(r-1)(k+1)$ per dimension. A dilated kernel spans $k+(k-1)(d-1)$, "
                     "as the sizes above use:",
        "note_depthwise": "The note says that the depthwise stage uses a one-dimensional kernel in "
                          "the depth direction. It applies one spatial kernel ($k \\times k$ in 2-D) "
                          "to each channel on its own, with as many groups as channels, as the zero "
                          "blocks of its unrolled kernel show.",
        # -- separable
        "separable_title": "Depthwise-separable in place of one convolution",
        "separable_intro": "The layer replaces one convolution from {{c_in}} to {{c_out}} channels by "
                           "two stages: a depthwise stage that applies one kernel to each input "
                           "channel on its own, then a pointwise $1 \\times 1$ stage that mixes the "
                           "channels. Stage 1 maps $x$ with kernels $k$ to $m$; stage 2 maps $m$ with "
                           "weights $w$ to $y$ (biases $b$ and $c$, if the layer has them).",
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
        "composite_proof": "Chaining the stages' closed forms (stage 1's upstream gradient "
                           "$\\varepsilon = \\partial J / \\partial m$ is stage 2's input gradient) was "
                           "checked exactly against differentiation of the composite:",
        # -- elision
        "elided_matrix": "{{hidden}} of the {{total}} entries of {{name}} are left out here: "
                         "{{rows}} of {{all_rows}} rows and {{cols}} of {{all_cols}} columns are "
                         "shown.",
        "elided_gallery": "{{hidden}} of these {{total}} entries are left out here: the dots stand "
                          "for the rows, columns and matrices not shown.",
        "elided_equations": "{{hidden}} of these {{total}} equations are left out here (the dots).",
        "elided_terms": "Sums longer than {{rows}} lines show their first and last lines: {{hidden}} "
                        "terms are left out here (the dots).",
        "elided_total": "In all, {{count}} entries are left out to keep this document readable; "
                        "{{option}} writes every one.",
        "elided_terms_total": "In all, {{count}} terms of long sums are left out; {{option}} writes "
                              "them too.",
    },
    "zh": {
        # -- title and introduction
        "title": "{{dims}} 维卷积的推导",
        "title_separable": "{{dims}} 维深度可分离卷积的推导",
        "generated": "由 symconv 生成（{{command}}）：把学习笔记中的推导套用到这一层上。",
        "notation": "记号同笔记：下标从 1 开始并连写，$x_{11}$ 是输入在位置 (1, 1) 的元素，$k_{11}$ "
                    "是卷积核的、$y_{11}$ 是输出的；有多个通道时通道下标写在前面、用逗号隔开（"
                    "$x_{2,11}$ 属于第 2 个通道）。卷积指深度学习框架实际计算的互相关：卷积核不翻转。",
        # -- 1. sizes
        "sizes_title": "卷积层及其尺寸",
        "sizes_intro": "一个带偏置的 {{dims}} 维卷积。输入与输出通道数、分组数、输入尺寸、卷积核尺寸、"
                       "步长、填充和膨胀率（尺寸按空间维度给出）：",
        "sizes_intro_no_bias": "一个不带偏置的 {{dims}} 维卷积。输入与输出通道数、分组数、输入尺寸、"
                               "卷积核尺寸、步长、填充和膨胀率（尺寸按空间维度给出）：",
        "output_size": "每个维度的输出尺寸，代入数值：",
        "output_size_asymmetric": "每个维度的输出尺寸，代入数值（输入前补 $p_{\\mathrm{b}}$ 个零，"
                                  "后补 $p_{\\mathrm{a}}$ 个零）：",
        "effective_kernel": "膨胀率为 $d$ 时，$k$ 个抽头的卷积核覆盖 $k'$ 个输入位置（等效卷积核）：",
        "counts": "参数量（权重，加上每个输出通道一个偏置）和每个样本的乘加次数（MACs）：",
        "counts_no_bias": "参数量（权重）和每个样本的乘加次数（MACs）：",
        # -- 2. forward
        "forward_title": "前向传播",
        "forward_definition": "输出通道 $o$ 在位置 $i$（按维度，从 1 开始）的值，就是把 $o$ 的卷积核"
                              "以步长 $s$、膨胀率 $d$ 放到补零后的输入 $\\tilde{x}$ 上：",
        "forward_where": "其中 $u$ 遍历卷积核的抽头，$c$ 遍历 $o$ 所在组的输入通道，$c'$ 是 $c$ "
                         "对应的输入通道。",
        "input_matrices": "输入 {{X}}，每个通道一个矩阵：",
        "input_matrices_3d": "输入 {{X}}，每个通道、每个深度切片一个矩阵（标记 $(i,\\cdot,\\cdot)$ "
                             "表示第 $i$ 个深度切片）：",
        "kernel_matrices": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与输入通道 $c$ 一个矩阵：",
        "kernel_matrices_groups": "卷积核 {{K}}（即该层的权重），每个输出通道 $o$ 与其所在组的每个"
                                  "输入通道 $c$ 一个矩阵（第二个下标在组内计数）：",
        "no_bias": "该层没有偏置。",
        "bias_vector": "偏置，每个输出通道一个：",
        "output_matrices": "输出 {{Y}}，每个输出通道一个矩阵：",
        "output_sums": "把每个输出元素写成求和式（同笔记，另加偏置）：",
        "output_sums_no_bias": "把每个输出元素写成求和式，同笔记：",
        # -- 3. unrolled
        "unrolled_title": "展开形式 {{relation}}",
        "unrolled_rows": "和笔记一样，卷积变成一次矩阵乘法。{{X_hat}} 每个输出位置一行，共 "
                         "{{positions}} 行，按输出的行优先顺序排列；每行是卷积核在该位置覆盖的输入。",
        "unrolled_columns": "它的列每个抽头一列，按通道优先：依次对每个输入通道（共 {{channels}} 个）"
                            "排出它的 {{taps}} 个抽头，抽头按卷积核的行优先顺序。{{K_hat}} "
                            "每个抽头一行（顺序相同），每个输出通道一列。",
        "unrolled_groups": "分为 {{groups}} 组时，一个输出通道只看到本组的输入通道（每组 "
                           "{{group_in}} 个）：在 {{K_hat}} 中它那一列里，其他通道的行都是零。"
                           "正是这些零块让 {{Y_hat}} 仍是一次乘积。",
        "unrolled_product": "二者的乘积 {{Y_hat}} 就是不含偏置的输出 {{Y}}，每个输出位置一行，"
                            "每个输出通道一列：",
        "unrolled_product_by_name": "二者的乘积 {{Y_hat}} 就是不含偏置的输出 {{Y}}，每个输出位置一行，"
                                    "每个输出通道一列。它的元素就是上面写出的求和式，放进矩阵太宽，"
                                    "这里只写名字：",
        "unrolled_product_by_name_no_bias": "二者的乘积 {{Y_hat}} 就是输出 {{Y}}，每个输出位置一行，"
                                            "每个输出通道一列。它的元素就是上面写出的求和式，"
                                            "放进矩阵太宽，这里只写名字：",
        # -- 4. backward
        "chain_title": "反向传播：笔记中的链式法则",
        "chain_intro": "同笔记：第 $l$ 层做激活 $\\sigma$，下一层做卷积，损失是到目标 $t$ "
                       "的平方距离的一半（笔记把目标记作 $y$，这里 $y$ 已用来表示输出），"
                       "$\\delta^{l}$ 是第 $l$ 层的误差：",
        "chain_layer": "这里推导的是第 $l+1$ 层：它的输入 {{X}} 就是 $a^{l}$，输出 {{Y}} 就是 "
                       "$z^{l+1}$。$\\odot$ 是逐元素（哈达玛）积。",
        "chain_given": "下一层的误差 $\\delta^{l+1} = \\partial J / \\partial z^{l+1}$ 与 {{Y}} "
                       "形状相同，是已知的：",
        "delta_title": "第 $l$ 层的误差",
        "delta_note": "笔记把第 $l$ 层的误差写成",
        "stage_backward_title": "反向传播",
        "stage_backward": "上游梯度 {{given}} 与 {{Y}} 形状相同，是已知的：",
        "full_convolution": "把误差传回去的卷积必须是完全卷积：{{upstream}} 每一边补 $k'-1$ 个零，"
                            "$k'$ 是卷积核的覆盖范围。按笔记中 $\\ast$ 的定义（步长 1、不补零），"
                            "形状是错的。",
        "stride_zeros": "步长 $s > 1$ 时，先按步长对 {{upstream}} 做膨胀：相邻元素之间插入 $s-1$ "
                        "个零，因为相邻的输出在输入上相隔 $s$ 个位置。",
        "dilated_kernel": "膨胀率 $d > 1$ 时，卷积核也同样膨胀（抽头之间插入 $d-1$ 个零），"
                          "然后再旋转 180 度。",
        "channel_sum": "输入通道 $c$ 汇集所有读取它的输出通道 $o$ 的误差，即它所在组 $G(c)$ "
                       "的输出通道。",
        "fit_stride": "当步长使补零后输入的最后 $u = (n + p_{\\mathrm{b}} + p_{\\mathrm{a}} - k') "
                      "\\bmod s$ 行或列没有被用到时，结果在末尾补 $u$ 个零"
                      "（$\\mathrm{pad}_{0,u}$）：这些输入的梯度为零。",
        "crop_padding": "结果再去掉填充部分（crop）：填充的零不是输入。",
        "formula_here": "对这一层（{{values}}），用算子写出：",
        "formula_plain": "对这一层，用算子写出：",
        "steps": "逐步写出这一层的矩阵。",
        "step_dilate": "误差 {{upstream}} 的相邻元素之间插入 $s-1$ 个零：",
        "step_pad": "每一边补 $k'-1$ 个零：",
        "step_dilate_kernel": "卷积核的相邻抽头之间插入 $d-1$ 个零：",
        "step_rot180": "卷积核旋转 180 度：",
        "grad_input_entries_chain": "完全卷积给出 $\\partial J / \\partial a^{l}$，即输入 {{X}} "
                                    "的梯度，逐元素写出：",
        "grad_input_entries": "完全卷积给出输入的梯度，逐元素写出：",
        "delta_entries": "再逐元素乘以 $\\sigma'(z^{l})$，就得到 $\\delta^{l}$：",
        "weight_title": "权重的梯度",
        "weight_note": "笔记把权重的梯度写成",
        "weight_here": "对这里的层（第 $l+1$ 层，输入 $a^{l}$，误差 $\\delta^{l+1}$）为：",
        "weight_stage": "权重的梯度是补零后的输入与上游梯度的互相关：",
        "weight_channel": "其中 $c'$ 是输出通道 $o$ 的第 $c$ 个权重通道所读取的输入通道。",
        "weight_roles": "步长和膨胀率的角色互换：步长用来膨胀误差，膨胀率成为这次互相关的步长。"
                        "步长留下 $u$ 个未用的位置时，去掉最后 $\\lfloor u/d \\rfloor$ 个，"
                        "结果正好是卷积核的尺寸 $k$。",
        "weight_entries": "逐元素写出：",
        "bias_title": "偏置的梯度",
        "bias_note": "笔记把偏置的梯度写成",
        "bias_here": "即对每个输出通道，把 {{upstream}} 在它所有位置上的元素求和：",
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
        "note_full": "笔记把 $\\ast$ 定义为步长为 1 且不补零的卷积，然后写出 $\\delta^{l} = "
                     "\\delta^{l+1} \\ast \\mathrm{rot}_{180}(W^{l+1}) \\odot \\sigma'(z^{l})$。"
                     "按这个 $\\ast$，形状对不上：误差必须每一边补 $k'-1$ 个零，做完全卷积。",
        "note_stride": "步长 $s > 1$ 时，笔记的公式还漏掉了一步：误差要先按步长膨胀（插零）。",
        "note_dilated_kernel": "膨胀率 $d > 1$ 时，公式中的卷积核应是膨胀后的卷积核。",
        "note_span": "笔记说 $k$ 个抽头、膨胀率为 $r$ 的卷积核，每个维度的感受野是 $k+(r-1)(k+1)$。"
                     "膨胀后的卷积核实际覆盖 $k+(k-1)(d-1)$，上面的尺寸用的就是它：",
        "note_depthwise": "笔记说逐通道卷积在深度方向上使用一维卷积核。实际上它对每个通道单独使用一个"
                          "空间卷积核（二维时为 $k \\times k$），分组数等于通道数，从展开后卷积核的"
                          "零块可以看出来。",
        # -- separable
        "separable_title": "用深度可分离卷积代替一个卷积",
        "separable_intro": "这一层把一个从 {{c_in}} 个通道到 {{c_out}} 个通道的卷积换成两步："
                           "逐通道卷积（depthwise）对每个输入通道单独使用一个卷积核，然后逐点卷积"
                           "（pointwise，$1 \\times 1$）混合各通道。第 1 步用卷积核 $k$ 把 $x$ "
                           "变成 $m$；第 2 步用权重 $w$ 把 $m$ 变成 $y$（如有偏置，分别为 $b$ 和 "
                           "$c$）。",
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
        "elided_equations": "这 {{total}} 个等式中这里省略了 {{hidden}} 个（省略号处）。",
        "elided_terms": "超过 {{rows}} 行的求和式只显示开头和结尾的几行：这里省略了 {{hidden}} 项"
                        "（省略号处）。",
        "elided_total": "为了便于阅读，本文一共省略了 {{count}} 个元素；用 {{option}} 可以全部写出。",
        "elided_terms_total": "长求和式中一共省略了 {{count}} 项；用 {{option}} 也可以全部写出。",
    },
}


def phrase(lang: str, key: str, args: dict[str, str]) -> str:
    """The phrase ``key`` in ``lang`` with its ``{{name}}`` placeholders filled from ``args``.

    Example:
        >>> phrase("en", "stage_pointwise", {"number": "2"})
        'Stage 2: pointwise'
    """
    template = PHRASES[lang][key]

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if name not in args:
            raise KeyError(f"phrase {key!r} needs the argument {name!r}")
        return args[name]

    return _PLACEHOLDER.sub(fill, template)


def placeholders(template: str) -> set[str]:
    """The argument names a phrase uses."""
    return set(_PLACEHOLDER.findall(template))
