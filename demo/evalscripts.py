"""eval.py of the demo's evaluation-code repository, one text per version (`codeversions.EVAL_CODES`).

Written for the demo in the style of the real script: options with dashes (`--model-path`), the
epsilon set after parsing from E2 on, f-string result lines whose fields change with the version
(` Test Loss:` and the CW ` LIP:` from E5, the CW `Stable:` meter from E4, `int()` or `round()` in
`get_ratio`). E0 crashes right after loading the checkpoint, as the first version did.
"""
from __future__ import annotations

from typing import List

from .codeversions import EVAL_CODES

_EVAL_OPTIONS = {
    "seed": "'--seed', type=int, default=0",
    "version": "'--version', type=str, default='arch_001'",
    "config_path": "'--config-path', type=str, default='configs'",
    "model": "'--model', type=str, default='arch_001'",
    "model_path": "'--model-path', type=str, default='{model_path}'",
    "log_path": "'--log-path', type=str",
    "attack_choice": "'--attack-choice', type=str, default='Base', choices=['Base', 'AA'], help='Base: (FGSM) + PGD + CW; AA'",
    "norm": "'--norm', type=str, default='Linf', choices=['L2', 'Linf']",
    "load_best_model": "'--load-best-model', action='store_true', default=False",
    "epsilon": "'--epsilon', default=8, type=float, help='perturbation (x/255)'",
    "step_size": "'--step_size', default=0.8, type=float, help='attack step size (x/255)'",
    "aa_type": "'--aa-type', type=str, default='Standard', choices=['Compact', 'Standard']",
    "progress_bar": "'--progress-bar', action='store_true'",
}


def _eval_lines(name: str) -> str:
    code = EVAL_CODES[name]
    ratio = "int" if code.truncates else "round"
    cw_stable = 'metrics["natural_acc"]' if code.cw_stable_natural else 'metrics["cw_stable"]'
    loss = ' Test Loss: {metrics["test_loss"].avg:.4f}' if code.test_loss else ""
    lip = ' LIP: {metrics["cw_lip"].avg:.4f}' if code.cw_lip else ""
    return f'''
def get_ratio(metric):
    return f'{{{ratio}(metric.sum)}}/{{{ratio}(metric.count)}}'


def log_results(metrics, norm):
    logger.info(f'Natural Correct Count: {{get_ratio(metrics["natural_acc"])}}, Acc: {{metrics["natural_acc"].percent:.2f}}{loss}')
    if norm == 'Linf':
        logger.info(f'FGSM with 1 step Correct Count: {{get_ratio(metrics["fgsm_acc"])}}, Acc: {{metrics["fgsm_acc"].percent:.2f}}, Stable: {{metrics["fgsm_stable"].percent:.2f}}')
    logger.info(f'PGD with 20 steps Correct Count: {{get_ratio(metrics["pgd_acc"])}}, Acc: {{metrics["pgd_acc"].percent:.2f}}, Stable: {{metrics["pgd_stable"].percent:.2f}} LIP: {{metrics["pgd_lip"].avg:.4f}}')
    logger.info(f'CW with 40 steps Correct Count: {{get_ratio(metrics["cw_acc"])}}, Acc: {{metrics["cw_acc"].percent:.2f}}, Stable: {{{cw_stable}.percent:.2f}}{lip}')
'''


def eval_source(name: str, variant: str = "") -> str:
    """eval.py of an evaluation code version (E0 crashes right after loading the checkpoint)."""
    code = EVAL_CODES[name]
    model_path = "models_home" if "models_home" in variant else "configs"
    options = [f"    parser.add_argument({_EVAL_OPTIONS[o].format(model_path=model_path)})" for o in code.options]
    device = "args.device" if "args_device" in variant else "device"
    if name == "E0":
        log_name = ("'_eval_{}-{}.log'.format(args.norm, args.attack_choice)" if "norm_log_name" in variant
                    else "'_eval@fgsm-pgd20-cw40.log'")
        return _eval_e0(options, log_name, "imports" in variant)
    epsilon = (["    if args.norm == 'Linf':", "        args.epsilon = 8 / 255", "        args.step_size = 0.8 / 255",
                "    else:", "        args.epsilon = 0.5", "        args.step_size = 0.8 / 255"]
               if "epsilon" not in code.options else [])
    rescale = ("    if args.epsilon > 1:\n        args.epsilon = args.epsilon / 255\n"
               "        args.step_size = args.step_size / 255\n" if "epsilon" in code.options else "")
    if "log_path" not in code.options:
        log_dir = "    log_path = model_path\n"
    else:
        sub = "/ args.model" if "model_log_dir" in variant else ""
        log_dir = f"    log_path = model_path if args.log_path is None else Path(args.log_path) {sub}\n".replace(" \n", "\n")
    if code.compact_file == "AA":
        attack_name = "    attack_name = args.attack_choice\n"
    else:
        attack_name = ("    if args.attack_choice == 'AA' and args.aa_type != 'Standard':\n"
                       "        attack_name = f'AA-{args.aa_type}'\n    else:\n        attack_name = args.attack_choice\n")
    setup = "\n".join(["def setup_args():",
                       "    parser = argparse.ArgumentParser(description='Adversarial attack evaluation: FGSM, PGD-20, CW-40, AutoAttack')",
                       *options, "    args = parser.parse_args()", *epsilon, "    return args"])
    return f'''"""Test-set evaluation of a trained checkpoint: FGSM, PGD-20, CW-40 (Base) or AutoAttack."""
import argparse
import time
from collections import defaultdict
from pathlib import Path

import mlconfig
import torch

import util
from auto_attack.autoattack import AutoAttack
from base_attackers import Evaluator


{setup}
{_eval_lines(name)}

def run_base(data_loader, model, evaluator, norm):
    metrics = defaultdict(util.AverageMeter)
    for images, labels in data_loader['test_dataset']:
        images, labels = images.to({device}), labels.to({device})
        local_lip = evaluator.update(metrics, model, images, labels, norm)
        if norm == 'Linf':
            logger.info(f'Nature Acc: {{metrics["natural_acc"].percent:.2f}} FGSM Acc: {{metrics["fgsm_acc"].percent:.2f}} PGD Acc: {{metrics["pgd_acc"].percent:.2f}} PGD LIP: {{local_lip:.4f}} CW Acc: {{metrics["cw_acc"].percent:.2f}}')
        else:
            logger.info(f'Nature Acc: {{metrics["natural_acc"].percent:.2f}} PGD Acc: {{metrics["pgd_acc"].percent:.2f}} PGD LIP: {{local_lip:.4f}} CW Acc: {{metrics["cw_acc"].percent:.2f}}')
    log_results(metrics, norm)
    return metrics


def main():
    model = config.model().to(args.device)
    logger.info(model)
    data_loader = config.dataset().getDataLoader()
    params = util.count_parameters_in_MB(model)
    flops = util.count_macs(model) / 1e6
    for key in config:
        logger.info(f"{{key}}: {{config[key]}}")
    logger.info(f"param size = {{params}}MB")
    logger.info(f"flops: {{flops:.4f}}M")
    logger.info(f"PyTorch Version: {{torch.__version__}}")
    if torch.cuda.is_available():
        logger.info(f"GPU List: {{[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}}")
    checkpoint = util.load_model(filename=checkpoint_file, model=model)
    train_statedict = checkpoint['ENV']
    train_statedict.update({{'flops': flops, 'params': params}})
    logger.info(f"File {{checkpoint_file}} loaded!")
    if args.attack_choice == 'Base':
        evaluator = Evaluator(model, args.epsilon, args.step_size, pgd_steps=20, cw_steps=40)
        metrics = run_base(data_loader, model, evaluator, args.norm)
        train_statedict.update(util.result_entries(metrics, args.norm))
    else:
        adversary = AutoAttack(model, norm=args.norm, eps=args.epsilon, logger=logger, verbose=True)
        logger.info('=' * 20 + 'AA with {{}} Attack Eval'.format(args.norm) + '=' * 20)
        if args.aa_type == 'Compact':
            adversary.attacks_to_run = ['apgd-ce', 'apgd-t']
        robust_accuracy = util.run_autoattack(adversary, data_loader) * 100
        logger.info(f'{{args.norm}}-AA Acc: {{robust_accuracy:.2f}}')
        train_statedict[f'{{args.norm}}_aa_attack'] = robust_accuracy
    logger.info(train_statedict)


if __name__ == '__main__':
    args = setup_args()
{rescale}    model_path = Path(args.model_path) / args.model
{log_dir}    checkpoint_file = model_path / 'checkpoints' / f'{{args.model}}_best.pth'
    config = mlconfig.load(str(model_path / f'{{args.model}}.yaml'))
    config.dataset.valset = False
    config.dataset.eval_batch_size = 100
{attack_name}    logger = util.setup_logger(name=args.model, log_file=str(log_path / f'{{args.model}}_eval_{{args.norm}}_{{attack_name}}.log'))
    if torch.cuda.is_available():
        device = torch.device('cuda')
        logger.info(f"GPU List: {{[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}}")
    else:
        device = torch.device('cpu')
    args.device = device
    for arg in vars(args):
        logger.info(f"{{arg}}: {{getattr(args, arg)}}")
    start = time.time()
    main()
    logger.info(f"Running Cost {{(time.time() - start) / 86400:.2f}} Days")
'''


def _eval_e0(options: List[str], log_name: str, sorted_imports: bool) -> str:
    imports = ("import mlconfig\nimport torch\n\nimport util\nfrom base_attackers import Evaluator\n" if sorted_imports
               else "import mlconfig\nfrom base_attackers import Evaluator\nimport torch\nimport util\n")
    option_lines = "\n".join(line.strip() for line in options)
    return f'''"""Linf and L2 FGSM, PGD, CW and AutoAttack evaluation of a trained model."""
import argparse
import os
import time
{imports}
parser = argparse.ArgumentParser(description='Adversarial Attack Evaluate')
{option_lines}
args = parser.parse_args()
if args.epsilon > 1:
    args.epsilon = args.epsilon / 255
    args.step_size = args.step_size / 255

log_file_path = os.path.join(args.config_path, args.version)
logger = util.setup_logger(name=args.version, log_file=log_file_path + {log_name})
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
args.device = device


def main():
    config = mlconfig.load(log_file_path + '.yaml')
    model = config.model().to(device)
    logger.info(model)
    checkpoint = util.load_model(filename=log_file_path + '_best.pth', model=model)
    ENV = checkpoint['ENV']
    train_statedict = ENV['params': util.count_parameters_in_MB(model)]
    logger.info("File %s loaded!" % (log_file_path + '_best.pth'))
    logger.info(train_statedict)


if __name__ == '__main__':
    for arg in vars(args):
        logger.info("%s: %s" % (arg, getattr(args, arg)))
    start = time.time()
    main()
    logger.info("Running Cost %.2f Days" % ((time.time() - start) / 86400))
'''
