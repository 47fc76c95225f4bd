# objc_msgSend for the fake runtime (x86-64 System V): look the method up with every
# argument register saved, then tail-jump to it with the caller's stack untouched.
        .text
        .globl  objc_msgSend
        .globl  objc_msgSend_fpret
        .type   objc_msgSend,@function
objc_msgSend:
objc_msgSend_fpret:
        push    %rbp
        mov     %rsp, %rbp
        sub     $0xd0, %rsp
        mov     %rdi, 0x00(%rsp)
        mov     %rsi, 0x08(%rsp)
        mov     %rdx, 0x10(%rsp)
        mov     %rcx, 0x18(%rsp)
        mov     %r8,  0x20(%rsp)
        mov     %r9,  0x28(%rsp)
        mov     %rax, 0x30(%rsp)
        movdqu  %xmm0, 0x40(%rsp)
        movdqu  %xmm1, 0x50(%rsp)
        movdqu  %xmm2, 0x60(%rsp)
        movdqu  %xmm3, 0x70(%rsp)
        movdqu  %xmm4, 0x80(%rsp)
        movdqu  %xmm5, 0x90(%rsp)
        movdqu  %xmm6, 0xa0(%rsp)
        movdqu  %xmm7, 0xb0(%rsp)
        call    fake_objc_lookup@PLT    # (receiver, selector) -> IMP
        mov     %rax, %r11
        mov     0x00(%rsp), %rdi
        mov     0x08(%rsp), %rsi
        mov     0x10(%rsp), %rdx
        mov     0x18(%rsp), %rcx
        mov     0x20(%rsp), %r8
        mov     0x28(%rsp), %r9
        mov     0x30(%rsp), %rax
        movdqu  0x40(%rsp), %xmm0
        movdqu  0x50(%rsp), %xmm1
        movdqu  0x60(%rsp), %xmm2
        movdqu  0x70(%rsp), %xmm3
        movdqu  0x80(%rsp), %xmm4
        movdqu  0x90(%rsp), %xmm5
        movdqu  0xa0(%rsp), %xmm6
        movdqu  0xb0(%rsp), %xmm7
        mov     %rbp, %rsp
        pop     %rbp
        jmp     *%r11

        .globl  objc_msgSend_stret      # (result*, receiver, selector, ...)
        .type   objc_msgSend_stret,@function
objc_msgSend_stret:
        push    %rbp
        mov     %rsp, %rbp
        sub     $0xd0, %rsp
        mov     %rdi, 0x00(%rsp)
        mov     %rsi, 0x08(%rsp)
        mov     %rdx, 0x10(%rsp)
        mov     %rcx, 0x18(%rsp)
        mov     %r8,  0x20(%rsp)
        mov     %r9,  0x28(%rsp)
        mov     %rax, 0x30(%rsp)
        movdqu  %xmm0, 0x40(%rsp)
        movdqu  %xmm1, 0x50(%rsp)
        movdqu  %xmm2, 0x60(%rsp)
        movdqu  %xmm3, 0x70(%rsp)
        movdqu  %xmm4, 0x80(%rsp)
        movdqu  %xmm5, 0x90(%rsp)
        movdqu  %xmm6, 0xa0(%rsp)
        movdqu  %xmm7, 0xb0(%rsp)
        mov     %rsi, %rdi
        mov     %rdx, %rsi
        call    fake_objc_lookup@PLT
        mov     %rax, %r11
        mov     0x00(%rsp), %rdi
        mov     0x08(%rsp), %rsi
        mov     0x10(%rsp), %rdx
        mov     0x18(%rsp), %rcx
        mov     0x20(%rsp), %r8
        mov     0x28(%rsp), %r9
        mov     0x30(%rsp), %rax
        movdqu  0x40(%rsp), %xmm0
        movdqu  0x50(%rsp), %xmm1
        movdqu  0x60(%rsp), %xmm2
        movdqu  0x70(%rsp), %xmm3
        movdqu  0x80(%rsp), %xmm4
        movdqu  0x90(%rsp), %xmm5
        movdqu  0xa0(%rsp), %xmm6
        movdqu  0xb0(%rsp), %xmm7
        mov     %rbp, %rsp
        pop     %rbp
        jmp     *%r11

        .globl  fake_nil_imp            # messages to nil return 0
        .type   fake_nil_imp,@function
fake_nil_imp:
        xor     %eax, %eax
        xor     %edx, %edx
        pxor    %xmm0, %xmm0
        pxor    %xmm1, %xmm1
        ret
        .section .note.GNU-stack,"",@progbits
